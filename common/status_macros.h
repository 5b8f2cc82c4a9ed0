// Early-return helpers for absl::Status and absl::StatusOr, which the installed Abseil lacks.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define GATEHOUSE_CONCAT_INNER_(a, b) a##b
#define GATEHOUSE_CONCAT_(a, b) GATEHOUSE_CONCAT_INNER_(a, b)

// Returns the status from the enclosing function when `expr` is not OK.
#define RETURN_IF_ERROR(expr)                \
  do {                                       \
    ::absl::Status gatehouse_status_ = (expr); \
    if (!gatehouse_status_.ok()) return gatehouse_status_; \
  } while (0)

// Declares `lhs` from the value of the StatusOr `expr`, or returns its status.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(GATEHOUSE_CONCAT_(gatehouse_statusor_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                           \
  if (!tmp.ok()) return tmp.status();          \
  lhs = std::move(*tmp)
