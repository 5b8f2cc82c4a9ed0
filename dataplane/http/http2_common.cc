#include "dataplane/http/http2_common.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/http_syntax.h"

namespace gatehouse::dataplane::http {
namespace {

nghttp2_nv MakeNv(absl::string_view name, absl::string_view value) {
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                    value.size(), NGHTTP2_NV_FLAG_NONE};
}

}  // namespace

bool ConnectionSpecificField(absl::string_view lower_name) {
  return lower_name == "connection" || lower_name == "keep-alive" ||
         lower_name == "proxy-connection" || lower_name == "transfer-encoding" ||
         lower_name == "upgrade" || lower_name == "te";
}

NvList::NvList(std::vector<std::pair<std::string, std::string>> pseudo, const HeaderMap& headers,
               std::optional<uint64_t> content_length)
    : owned_(std::move(pseudo)) {
  if (content_length.has_value())
    owned_.emplace_back("content-length", absl::StrCat(*content_length));
  // Reserved up front: nva_ points into these strings.
  names_.reserve(headers.size());
  nva_.reserve(owned_.size() + headers.size());
  for (const auto& [name, value] : owned_) nva_.push_back(MakeNv(name, value));
  for (const HeaderMap::Entry& entry : headers.entries()) {
    std::string name = absl::AsciiStrToLower(entry.first);
    if (name.empty() || name.front() == ':' || name == "host" || ConnectionSpecificField(name) ||
        !IsWritableField(name, entry.second)) {
      continue;
    }
    names_.push_back(std::move(name));
    nva_.push_back(MakeNv(names_.back(), entry.second));
  }
}

void OutgoingBody::Append(nghttp2_session* session, int32_t stream_id, absl::string_view data,
                          bool end) {
  output_.Append(data);
  if (end) ended_ = true;
  if (over_watermark()) was_over_ = true;
  if (deferred_ && stream_id > 0) {
    deferred_ = false;
    nghttp2_session_resume_data(session, stream_id);
  }
}

void OutgoingBody::EndWithTrailers(nghttp2_session* session, int32_t stream_id,
                                   HeaderMap trailers) {
  trailers_ = std::move(trailers);
  Append(session, stream_id, absl::string_view(), true);
}

ssize_t OutgoingBody::Read(nghttp2_session* session, int32_t stream_id, uint8_t* buffer,
                           size_t length, uint32_t* flags, bool* drained) {
  size_t n = std::min(length, output_.size());
  if (n > 0) {
    std::memcpy(buffer, output_.data(), n);
    output_.Consume(n);
  }
  if (output_.empty() && ended_) {
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    if (trailers_.has_value()) {
      *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
      NvList nva({}, *trailers_, std::nullopt);
      nghttp2_submit_trailer(session, stream_id, nva.data(), nva.size());
    }
  } else if (n == 0) {
    deferred_ = true;
    return NGHTTP2_ERR_DEFERRED;
  }
  if (was_over_ && output_.size() < kHighWatermark / 2) {
    was_over_ = false;
    *drained = true;
  }
  return static_cast<ssize_t>(n);
}

nghttp2_data_provider OutgoingBody::Provider(nghttp2_data_source_read_callback read) {
  nghttp2_data_provider provider;
  provider.source.ptr = this;
  provider.read_callback = read;
  return provider;
}

}  // namespace gatehouse::dataplane::http
