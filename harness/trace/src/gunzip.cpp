// gunzip.cpp — see internal/gunzip.h. Inflate follows RFC 1951 section 3.2: stored, fixed and
// dynamic Huffman blocks; codes are decoded through one lookup table per code, indexed by the
// next 15 bits of input (the longest code deflate allows).
#include "internal/gunzip.h"

#include <array>
#include <cstdint>
#include <vector>

namespace connstate::trace::internal {
namespace {

constexpr unsigned kMaxBits = 15;

std::array<std::uint32_t, 256> make_crc_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t n = 0; n < 256; ++n) {
    std::uint32_t c = n;
    for (int k = 0; k < 8; ++k) c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[n] = c;
  }
  return table;
}

std::uint32_t crc32(std::string_view bytes, std::size_t from) {
  static const std::array<std::uint32_t, 256> table = make_crc_table();
  std::uint32_t c = 0xFFFFFFFFu;
  for (std::size_t i = from; i < bytes.size(); ++i) c = table[(c ^ static_cast<unsigned char>(bytes[i])) & 0xFFu] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

class BitReader {
 public:
  BitReader(std::string_view data, std::size_t pos) : data_(data), pos_(pos) {}

  // The next `n` bits (n <= 24), least significant first; zeros past the end, which need() catches.
  std::uint32_t peek(unsigned n) {
    while (count_ < n) {
      const std::uint32_t byte = pos_ + fed_ < data_.size() ? static_cast<unsigned char>(data_[pos_ + fed_]) : 0u;
      bits_ |= byte << count_;
      count_ += 8;
      ++fed_;
    }
    return bits_ & ((1u << n) - 1u);
  }
  void drop(unsigned n) {
    bits_ >>= n;
    count_ -= n;
    used_ += n;
  }
  std::uint32_t take(unsigned n) {
    if (n == 0) return 0;
    const std::uint32_t v = peek(n);
    drop(n);
    need();
    return v;
  }
  void need() const {
    if (pos_ * 8 + used_ > data_.size() * 8) throw GzipError("the gzip data ends early (a truncated download?)");
  }
  void align() { drop(count_ % 8 == 0 ? 0 : (count_ % 8)); }
  // The byte position after the bits consumed so far (after align()).
  std::size_t byte_pos() const { return pos_ + used_ / 8; }

 private:
  std::string_view data_;
  std::size_t pos_;
  std::size_t fed_ = 0;   // bytes moved into bits_
  std::size_t used_ = 0;  // bits consumed
  std::uint32_t bits_ = 0;
  unsigned count_ = 0;
};

// A canonical Huffman code as a table: entry = symbol << 4 | length, 0 = no code.
class Huffman {
 public:
  void build(const std::uint8_t* lengths, unsigned n) {
    std::array<unsigned, kMaxBits + 1> count{};
    for (unsigned i = 0; i < n; ++i) ++count[lengths[i]];
    count[0] = 0;
    int left = 1;  // an over-subscribed set of lengths is not a code
    for (unsigned len = 1; len <= kMaxBits; ++len) {
      left = left * 2 - static_cast<int>(count[len]);
      if (left < 0) throw GzipError("damaged deflate data (an over-subscribed Huffman code)");
    }
    std::array<unsigned, kMaxBits + 2> next{};
    unsigned code = 0;
    for (unsigned len = 1; len <= kMaxBits; ++len) {
      code = (code + count[len - 1]) << 1;
      next[len] = code;
    }
    table_.assign(1u << kMaxBits, 0);
    for (unsigned sym = 0; sym < n; ++sym) {
      const unsigned len = lengths[sym];
      if (len == 0) continue;
      unsigned c = next[len]++, reversed = 0;
      for (unsigned b = 0; b < len; ++b) {
        reversed = (reversed << 1) | (c & 1u);
        c >>= 1;
      }
      for (unsigned fill = reversed; fill < (1u << kMaxBits); fill += 1u << len) table_[fill] = (sym << 4) | len;
    }
  }
  unsigned decode(BitReader& in) const {
    const std::uint32_t entry = table_[in.peek(kMaxBits)];
    if (entry == 0) throw GzipError("damaged deflate data (a code that is not in the table)");
    in.drop(entry & 15u);
    in.need();
    return entry >> 4;
  }

 private:
  std::vector<std::uint32_t> table_;
};

constexpr std::array<std::uint16_t, 29> kLengthBase = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                                       31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
constexpr std::array<std::uint8_t, 29> kLengthExtra = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                                       2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
constexpr std::array<std::uint16_t, 30> kDistBase = {1,   2,   3,   4,   5,   7,    9,    13,   17,   25,
                                                     33,  49,  65,  97,  129, 193,  257,  385,  513,  769,
                                                     1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
constexpr std::array<std::uint8_t, 30> kDistExtra = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                                     6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

void inflate_codes(BitReader& in, const Huffman& lit, const Huffman& dist, std::string& out, std::size_t limit) {
  for (;;) {
    const unsigned sym = lit.decode(in);
    if (sym < 256) {
      if (out.size() >= limit) throw GzipError("the data inflates to more than the limit of " + std::to_string(limit) + " bytes");
      out.push_back(static_cast<char>(sym));
      continue;
    }
    if (sym == 256) return;
    const unsigned li = sym - 257;
    if (li >= kLengthBase.size()) throw GzipError("damaged deflate data (a length code out of range)");
    const std::size_t length = kLengthBase[li] + in.take(kLengthExtra[li]);
    const unsigned di = dist.decode(in);
    if (di >= kDistBase.size()) throw GzipError("damaged deflate data (a distance code out of range)");
    const std::size_t distance = kDistBase[di] + in.take(kDistExtra[di]);
    if (distance > out.size()) throw GzipError("damaged deflate data (a distance before the start of the data)");
    if (out.size() + length > limit) throw GzipError("the data inflates to more than the limit of " + std::to_string(limit) + " bytes");
    const std::size_t from = out.size() - distance;
    for (std::size_t k = 0; k < length; ++k) out.push_back(out[from + k]);  // may overlap itself
  }
}

const Huffman& fixed_literals() {
  static const Huffman h = [] {
    std::array<std::uint8_t, 288> lengths{};
    for (unsigned i = 0; i < 288; ++i) lengths[i] = i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8;
    Huffman code;
    code.build(lengths.data(), 288);
    return code;
  }();
  return h;
}

const Huffman& fixed_distances() {
  static const Huffman h = [] {
    std::array<std::uint8_t, 30> lengths{};
    lengths.fill(5);
    Huffman code;
    code.build(lengths.data(), 30);
    return code;
  }();
  return h;
}

void inflate_dynamic(BitReader& in, std::string& out, std::size_t limit) {
  const unsigned nlen = in.take(5) + 257, ndist = in.take(5) + 1, ncode = in.take(4) + 4;
  if (nlen > 286 || ndist > 30) throw GzipError("damaged deflate data (too many codes in a dynamic block)");
  static constexpr std::array<std::uint8_t, 19> kOrder = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
  std::array<std::uint8_t, 19> code_lengths{};
  for (unsigned i = 0; i < ncode; ++i) code_lengths[kOrder[i]] = static_cast<std::uint8_t>(in.take(3));
  Huffman lencode;
  lencode.build(code_lengths.data(), 19);
  std::array<std::uint8_t, 286 + 30> lengths{};
  for (unsigned i = 0; i < nlen + ndist;) {
    const unsigned sym = lencode.decode(in);
    if (sym < 16) {
      lengths[i++] = static_cast<std::uint8_t>(sym);
      continue;
    }
    std::uint8_t value = 0;
    unsigned repeat = 0;
    if (sym == 16) {
      if (i == 0) throw GzipError("damaged deflate data (a repeat with nothing before it)");
      value = lengths[i - 1];
      repeat = 3 + in.take(2);
    } else if (sym == 17) {
      repeat = 3 + in.take(3);
    } else {
      repeat = 11 + in.take(7);
    }
    if (i + repeat > nlen + ndist) throw GzipError("damaged deflate data (code lengths overrun)");
    while (repeat--) lengths[i++] = value;
  }
  if (lengths[256] == 0) throw GzipError("damaged deflate data (no end-of-block code)");
  Huffman lit, dist;
  lit.build(lengths.data(), nlen);
  dist.build(lengths.data() + nlen, ndist);
  inflate_codes(in, lit, dist, out, limit);
}

// One deflate stream from `pos`; returns the byte position after it.
std::size_t inflate(std::string_view data, std::size_t pos, std::string& out, std::size_t limit) {
  BitReader in(data, pos);
  bool last = false;
  while (!last) {
    last = in.take(1) != 0;
    const unsigned type = in.take(2);
    if (type == 0) {
      in.align();
      const std::size_t at = in.byte_pos();
      if (at + 4 > data.size()) throw GzipError("the gzip data ends early (a truncated download?)");
      const unsigned len = static_cast<unsigned char>(data[at]) | static_cast<unsigned char>(data[at + 1]) << 8;
      const unsigned nlen = static_cast<unsigned char>(data[at + 2]) | static_cast<unsigned char>(data[at + 3]) << 8;
      if (len != (~nlen & 0xFFFFu)) throw GzipError("damaged deflate data (a stored block's length check)");
      if (at + 4 + len > data.size()) throw GzipError("the gzip data ends early (a truncated download?)");
      if (out.size() + len > limit) throw GzipError("the data inflates to more than the limit of " + std::to_string(limit) + " bytes");
      out.append(data.substr(at + 4, len));
      in = BitReader(data, at + 4 + len);
    } else if (type == 1) {
      inflate_codes(in, fixed_literals(), fixed_distances(), out, limit);
    } else if (type == 2) {
      inflate_dynamic(in, out, limit);
    } else {
      throw GzipError("damaged deflate data (block type 3)");
    }
  }
  in.align();
  return in.byte_pos();
}

std::uint32_t le32(std::string_view d, std::size_t at) {
  return static_cast<std::uint32_t>(static_cast<unsigned char>(d[at])) |
         static_cast<std::uint32_t>(static_cast<unsigned char>(d[at + 1])) << 8 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(d[at + 2])) << 16 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(d[at + 3])) << 24;
}

}  // namespace

std::string gunzip(std::string_view data, std::size_t limit) {
  std::string out;
  std::size_t pos = 0;
  while (pos < data.size()) {
    if (!is_gzip(data.substr(pos))) {
      if (pos == 0) throw GzipError("not gzip data");
      break;  // trailing bytes after the last member (padding) are ignored, as gzip does
    }
    if (pos + 10 > data.size()) throw GzipError("the gzip data ends early (a truncated download?)");
    if (static_cast<unsigned char>(data[pos + 2]) != 8) throw GzipError("a gzip member that is not deflate-compressed");
    const unsigned flags = static_cast<unsigned char>(data[pos + 3]);
    std::size_t at = pos + 10;
    auto skip_zero_terminated = [&] {
      while (at < data.size() && data[at] != '\0') ++at;
      ++at;
    };
    if (flags & 4u) {  // FEXTRA
      if (at + 2 > data.size()) throw GzipError("the gzip data ends early (a truncated download?)");
      at += 2 + (static_cast<unsigned char>(data[at]) | static_cast<unsigned char>(data[at + 1]) << 8);
    }
    if (flags & 8u) skip_zero_terminated();   // FNAME
    if (flags & 16u) skip_zero_terminated();  // FCOMMENT
    if (flags & 2u) at += 2;                  // FHCRC
    if (at > data.size()) throw GzipError("the gzip data ends early (a truncated download?)");
    const std::size_t start = out.size();
    pos = inflate(data, at, out, limit);
    if (pos + 8 > data.size()) throw GzipError("the gzip data ends early (a truncated download?)");
    if (crc32(out, start) != le32(data, pos)) throw GzipError("damaged gzip data (CRC mismatch)");
    if (static_cast<std::uint32_t>(out.size() - start) != le32(data, pos + 4)) throw GzipError("damaged gzip data (size mismatch)");
    pos += 8;
  }
  return out;
}

}  // namespace connstate::trace::internal
