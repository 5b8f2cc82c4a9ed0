"""Certificates for client-certificate tests, made with the openssl command: CAs, intermediates,
server and client certificates, and expired ones (openssl ca takes explicit dates).

    pki = Pki(folder)
    root = pki.ca("client-ca")
    alice = pki.leaf("alice", issuer=root)                       # valid for 100 years
    old = pki.leaf("old", issuer=root, expired=True)             # valid in 2020 only
    inter = pki.ca("team-ca", issuer=root)                       # an intermediate CA
    bob = pki.leaf("bob", issuer=inter)
    crl = pki.crl(root, revoked=[old])                           # a revocation list's path
    alice.crt, alice.key, bob.chain                              # file paths (chain: leaf first)
"""

import os
import subprocess


class Certificate:
    def __init__(self, folder, name, issuer):
        self.name = name
        self.crt = os.path.join(folder, name + ".crt")
        self.key = os.path.join(folder, name + ".key")
        self.chain = os.path.join(folder, name + ".chain.crt")  # itself, then its issuers but the root
        self.issuer = issuer

    def pem(self):
        with open(self.crt) as f:
            return f.read()


def _openssl(*argv):
    subprocess.run(["openssl"] + list(argv), check=True, capture_output=True)


class Pki:
    def __init__(self, folder):
        self.folder = folder
        self.serial = 1000

    def _key(self, path):
        _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                 "-out", path)

    def _sign(self, cert, subject, issuer, extensions, expired):
        """Signs a request for `cert` with `issuer` through `openssl ca`, which takes dates."""
        csr = cert.crt + ".csr"
        _openssl("req", "-new", "-key", cert.key, "-subj", subject, "-out", csr)
        db = os.path.join(self.folder, "ca-db-" + cert.name)
        os.makedirs(db, exist_ok=True)
        open(os.path.join(db, "index.txt"), "w").close()
        self.serial += 1
        with open(os.path.join(db, "serial"), "w") as f:
            f.write("%04X\n" % self.serial)
        config = os.path.join(db, "ca.cnf")
        with open(config, "w") as f:
            f.write("[ca]\ndefault_ca = this\n[this]\ndir = %s\ndatabase = $dir/index.txt\n"
                    "serial = $dir/serial\nnew_certs_dir = $dir\ndefault_md = sha256\n"
                    "policy = any\nunique_subject = no\ncopy_extensions = none\n"
                    "[any]\ncommonName = supplied\n[ext]\n%s\n" % (db, extensions))
        dates = (["-startdate", "20200101000000Z", "-enddate", "20210101000000Z"] if expired
                 else ["-startdate", "20240101000000Z", "-enddate", "21240101000000Z"])
        _openssl("ca", "-batch", "-config", config, "-extensions", "ext", "-notext",
                 "-cert", issuer.crt, "-keyfile", issuer.key, "-in", csr, "-out", cert.crt,
                 *dates)

    def _write_chain(self, cert):
        parts, at = [], cert
        while at is not None and at.issuer is not None:  # the root stays out
            parts.append(at.pem())
            at = at.issuer
        with open(cert.chain, "w") as f:
            f.write("".join(parts) if parts else cert.pem())

    def ca(self, name, issuer=None):
        """A CA: self-signed (a root) unless `issuer` is given (an intermediate)."""
        cert = Certificate(self.folder, name, issuer)
        self._key(cert.key)
        extensions = ("basicConstraints = critical, CA:true\n"
                      "keyUsage = critical, keyCertSign, cRLSign")
        if issuer is None:
            _openssl("req", "-x509", "-new", "-key", cert.key, "-subj", "/CN=" + name,
                     "-days", "36500", "-addext", "basicConstraints=critical,CA:true",
                     "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", cert.crt)
        else:
            self._sign(cert, "/CN=" + name, issuer, extensions, expired=False)
        self._write_chain(cert)
        return cert

    def leaf(self, name, issuer, expired=False, server_names=(), subject=None):
        """A client certificate (or a server one, with `server_names`) issued by `issuer`."""
        cert = Certificate(self.folder, name, issuer)
        self._key(cert.key)
        extensions = "basicConstraints = CA:false\n"
        if server_names:
            extensions += ("extendedKeyUsage = serverAuth\nsubjectAltName = %s\n"
                           % ",".join("DNS:" + n for n in server_names))
        else:
            extensions += "extendedKeyUsage = clientAuth\n"
        self._sign(cert, subject or "/CN=" + name, issuer, extensions, expired)
        self._write_chain(cert)
        return cert

    def crl(self, issuer, revoked=(), name=None):
        """A revocation list signed by `issuer` naming `revoked`, valid for 100 years: its path."""
        name = name or issuer.name + "-crl"
        db = os.path.join(self.folder, "crl-db-" + name)
        os.makedirs(db, exist_ok=True)
        open(os.path.join(db, "index.txt"), "w").close()
        config = os.path.join(db, "ca.cnf")
        with open(config, "w") as f:
            f.write("[ca]\ndefault_ca = this\n[this]\ndir = %s\ndatabase = $dir/index.txt\n"
                    "default_md = sha256\ndefault_crl_days = 36500\n" % db)
        common = ["-config", config, "-cert", issuer.crt, "-keyfile", issuer.key]
        for cert in revoked:
            _openssl("ca", "-batch", *common, "-revoke", cert.crt)
        path = os.path.join(self.folder, name + ".crl")
        _openssl("ca", "-batch", *common, "-gencrl", "-out", path)
        return path
