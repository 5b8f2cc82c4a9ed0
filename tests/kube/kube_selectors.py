"""Label and field selectors of the Kubernetes API (`?labelSelector=` and `?fieldSelector=`).

Label selector syntax: requirements separated by commas, each one of
  key            the label exists
  !key           the label does not exist
  key=value      equal (also `==`)
  key!=value     not equal, or the label is absent
  key in (a,b)   one of the values
  key notin (a,b)  none of the values, or the label is absent
  key>3, key<3   integer comparison (the label must exist)

Field selector syntax: terms `field=value`, `field==value` or `field!=value` separated by commas;
a backslash escapes `,`, `=`, `!` and `\\` inside values. Which fields may be named depends on the
resource; naming another one is an error (the API server answers 400 BadRequest).
"""

import re

_KEY = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?/)?"
                  r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_SPECIAL = " \t,()=!<>"


class SelectorError(ValueError):
    """A selector that does not parse, or names a field the resource does not support."""


# --- label selectors -----------------------------------------------------------------------------

def _label_tokens(text):
    """Splits a label selector into tokens: words, and the punctuation , ( ) = == != ! < >."""
    tokens = []
    i = 0
    while i < len(text):
        char = text[i]
        if char in " \t":
            i += 1
        elif text.startswith("==", i) or text.startswith("!=", i):
            tokens.append(text[i:i + 2])
            i += 2
        elif char in ",()=!<>":
            tokens.append(char)
            i += 1
        else:
            start = i
            while i < len(text) and text[i] not in _SPECIAL:
                i += 1
            tokens.append(text[start:i])
    return tokens


def _is_word(token):
    return token is not None and token not in (",", "(", ")", "=", "==", "!=", "!", "<", ">")


class LabelSelector:
    """A parsed label selector: a list of (key, operator, values) requirements, all of which
    must hold."""

    def __init__(self, text):
        self.text = text or ""
        self.requirements = self._parse(_label_tokens(self.text))

    def empty(self):
        return not self.requirements

    def matches(self, labels):
        labels = labels or {}
        return all(_label_requirement_holds(labels, key, op, values)
                   for key, op, values in self.requirements)

    def _parse(self, tokens):
        requirements = []
        position = 0

        def peek():
            return tokens[position] if position < len(tokens) else None

        def take():
            nonlocal position
            token = peek()
            position += 1
            return token

        def key_of(token):
            if not _is_word(token) or not _KEY.match(token):
                raise SelectorError("unable to parse requirement: invalid label key %r" % token)
            return token

        def value_of(token):
            if not _VALUE.match(token):
                raise SelectorError("unable to parse requirement: invalid label value %r" % token)
            return token

        while tokens:
            token = take()
            if token == "!":
                requirements.append((key_of(take()), "!", ()))
            else:
                key = key_of(token)
                following = peek()
                if following is None or following == ",":
                    requirements.append((key, "exists", ()))
                elif following in ("=", "==", "!="):
                    take()
                    value = "" if peek() in (None, ",") else take()
                    if not _is_word(value) and value != "":
                        raise SelectorError("unable to parse requirement: found %r, expected a "
                                            "value" % value)
                    requirements.append((key, "!=" if following == "!=" else "=",
                                         (value_of(value),)))
                elif following in ("in", "notin"):
                    take()
                    if take() != "(":
                        raise SelectorError("unable to parse requirement: expected '(' after %s"
                                            % following)
                    if peek() == ")":
                        raise SelectorError("unable to parse requirement: for 'in', 'notin' "
                                            "operators, values set can't be empty")
                    values = []
                    while True:
                        if peek() in (",", ")"):
                            values.append("")
                        elif _is_word(peek()):
                            values.append(value_of(take()))
                        else:
                            raise SelectorError("unable to parse requirement: found %r, expected "
                                                "a value" % peek())
                        separator = take()
                        if separator == ")":
                            break
                        if separator != ",":
                            raise SelectorError("unable to parse requirement: found %r, expected "
                                                "',' or ')'" % separator)
                    requirements.append((key, following, tuple(values)))
                elif following in ("<", ">"):
                    take()
                    number = take()
                    if number is None or not re.match(r"^-?[0-9]+$", number):
                        raise SelectorError("unable to parse requirement: for 'gt', 'lt' "
                                            "operators, the value must be an integer")
                    requirements.append((key, following, (int(number),)))
                else:
                    raise SelectorError("unable to parse requirement: found %r, expected an "
                                        "operator" % following)
            if peek() is None:
                break
            if take() != ",":
                raise SelectorError("unable to parse requirement: expected ','")
        return requirements


def _label_requirement_holds(labels, key, op, values):
    present = key in labels
    value = labels.get(key)
    if op == "exists":
        return present
    if op == "!":
        return not present
    if op == "=":
        return present and value == values[0]
    if op == "!=":
        return not present or value != values[0]
    if op == "in":
        return present and value in values
    if op == "notin":
        return not present or value not in values
    if op in ("<", ">"):
        if not present or not re.match(r"^-?[0-9]+$", value):
            return False
        return int(value) < values[0] if op == "<" else int(value) > values[0]
    raise AssertionError(op)


# --- field selectors -----------------------------------------------------------------------------

def _split_unescaped(text, separator):
    """Splits at every `separator` not preceded by a backslash; escapes are kept."""
    parts, current, i = [], [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            current.append(text[i:i + 2])
            i += 2
        elif text[i] == separator:
            parts.append("".join(current))
            current = []
            i += 1
        else:
            current.append(text[i])
            i += 1
    parts.append("".join(current))
    return parts


def _unescape(value):
    out, i = [], 0
    while i < len(value):
        if value[i] == "\\":
            if i + 1 >= len(value) or value[i + 1] not in ",=!\\":
                raise SelectorError("invalid field selector: invalid escape sequence in %r" % value)
            out.append(value[i + 1])
            i += 2
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def _split_term(term):
    """(field, operator, value) of one field-selector term."""
    i = 0
    while i < len(term):
        if term[i] == "\\":
            i += 2
            continue
        for op in ("!=", "==", "="):
            if term.startswith(op, i):
                return term[:i], ("!=" if op == "!=" else "="), term[i + len(op):]
        i += 1
    raise SelectorError("invalid selector: '%s'; can't understand '%s'" % (term, term))


class FieldSelector:
    """A parsed field selector. `supported` is the set of field paths the resource allows."""

    def __init__(self, text, supported):
        self.text = text or ""
        self.terms = []
        if not self.text.strip():
            return
        for term in _split_unescaped(self.text, ","):
            if not term:
                continue
            field, op, value = _split_term(term)
            field = field.strip()
            if field not in supported:
                raise SelectorError("field label not supported: %s" % field)
            self.terms.append((field, op, _unescape(value)))

    def empty(self):
        return not self.terms

    def matches(self, obj):
        for field, op, value in self.terms:
            actual = field_value(obj, field)
            if (actual == value) != (op == "="):
                return False
        return True

    def exact_name(self):
        """The name a `metadata.name=` term pins, if any."""
        for field, op, value in self.terms:
            if field == "metadata.name" and op == "=":
                return value
        return None


def field_value(obj, path):
    """The string value at dotted `path` in `obj`; "" when absent (as the API server compares)."""
    current = obj
    for part in path.split("."):
        if not isinstance(current, dict):
            return ""
        current = current.get(part)
    if current is None:
        return ""
    if isinstance(current, bool):
        return "true" if current else "false"
    return str(current)
