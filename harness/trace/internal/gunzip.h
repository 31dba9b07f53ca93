// gunzip.h — reading gzip files (RFC 1952 members holding RFC 1951 deflate data), so that the
// chrome://webrtc-internals page's default download ("Compress result" ticked: the dump as a
// .gz file) can be imported as it is, without a dependency on zlib.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace connstate::trace::internal {

// A gzip file that cannot be read; the message says why ("ends early", "CRC mismatch", …).
struct GzipError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The two magic bytes every gzip member starts with.
inline bool is_gzip(std::string_view data) {
  return data.size() >= 2 && static_cast<unsigned char>(data[0]) == 0x1f && static_cast<unsigned char>(data[1]) == 0x8b;
}

// The decompressed bytes of every member, concatenated. Throws GzipError when the data is not
// gzip, is damaged or truncated, or would inflate to more than `limit` bytes.
std::string gunzip(std::string_view data, std::size_t limit);

}  // namespace connstate::trace::internal
