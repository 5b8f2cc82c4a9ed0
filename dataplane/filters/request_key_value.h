// A RequestKeyTemplate's value for one request: each part's value, length first, so that two
// requests share a key only when every part is the same (nginx would join "ab"+"c" and "a"+"bc").
// A variable the request does not have is empty, as in nginx.
#pragma once

#include <string>

#include "common/request_key.h"
#include "dataplane/filters/filter.h"
#include "dataplane/http/headers.h"

namespace gatehouse::dataplane::filters {

std::string RequestKeyValue(const RequestKeyTemplate& key, const http::RequestHead& head,
                            const DownstreamInfo& downstream);

}  // namespace gatehouse::dataplane::filters
