// Little-endian fixed-width and varint encoding into std::string buffers,
// and bounds-checked decoding from a byte span. Every on-disk integer in
// this library goes through these helpers.

#ifndef STRATA_DURABILITY_SRC_UTIL_CODING_H_
#define STRATA_DURABILITY_SRC_UTIL_CODING_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace strata::durability {

inline void encode_fixed16(char* dst, uint16_t v) { std::memcpy(dst, &v, 2); }
inline void encode_fixed32(char* dst, uint32_t v) { std::memcpy(dst, &v, 4); }
inline void encode_fixed64(char* dst, uint64_t v) { std::memcpy(dst, &v, 8); }
inline uint16_t decode_fixed16(const char* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
inline uint32_t decode_fixed32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline uint64_t decode_fixed64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the on-disk format is little-endian; add byte swaps to port");

// The put_ functions append to any byte sink with std::string's
// push_back(char) and append(const char*, n): a std::string, or one of the
// two sinks below, which let an encoder first measure a record and then
// write it straight into memory sized for it (the log's write buffer).

// Counts the bytes an encoder appends, storing none.
class ByteCounter {
 public:
  void push_back(char) { ++size_; }
  void append(const char*, std::size_t n) { size_ += n; }
  void append(std::string_view bytes) { size_ += bytes.size(); }
  std::size_t size() const { return size_; }

 private:
  std::size_t size_ = 0;
};

// Writes an encoder's bytes at a pointer, into memory the caller sized
// (with a ByteCounter over the same encoder); no bounds are checked.
class ByteWriter {
 public:
  explicit ByteWriter(char* out) : p_(out) {}
  void push_back(char c) { *p_++ = c; }
  void append(const char* bytes, std::size_t n) {
    if (n != 0) std::memcpy(p_, bytes, n);
    p_ += n;
  }
  void append(std::string_view bytes) { append(bytes.data(), bytes.size()); }
  char* position() const { return p_; }

 private:
  char* p_;
};

template <class Out>
inline void put_u8(Out* dst, uint8_t v) {
  dst->push_back(static_cast<char>(v));
}
template <class Out>
inline void put_fixed16(Out* dst, uint16_t v) {
  char buf[2];
  encode_fixed16(buf, v);
  dst->append(buf, 2);
}
template <class Out>
inline void put_fixed32(Out* dst, uint32_t v) {
  char buf[4];
  encode_fixed32(buf, v);
  dst->append(buf, 4);
}
template <class Out>
inline void put_fixed64(Out* dst, uint64_t v) {
  char buf[8];
  encode_fixed64(buf, v);
  dst->append(buf, 8);
}
template <class Out>
inline void put_varint64(Out* dst, uint64_t v) {
  if (v < 0x80) {  // most lengths and ids: one byte
    dst->push_back(static_cast<char>(v));
    return;
  }
  char buf[10];
  int n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  dst->append(buf, static_cast<std::size_t>(n));
}
// Zig-zag, so small negative numbers stay short.
template <class Out>
inline void put_varint_signed64(Out* dst, int64_t v) {
  put_varint64(
      dst, (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
}
// A varint length followed by the bytes.
template <class Out>
inline void put_length_prefixed(Out* dst, std::string_view bytes) {
  put_varint64(dst, bytes.size());
  dst->append(bytes.data(), bytes.size());
}
inline std::size_t varint_length(uint64_t v) {
  std::size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Reads values from the front of a byte span. Every getter returns false
// (and consumes nothing) when the input is too short or malformed, so a
// decoder can turn any damage into a Corruption error instead of reading
// past the end.
class Decoder {
 public:
  explicit Decoder(std::string_view in) : in_(in) {}

  std::string_view remaining() const { return in_; }
  std::size_t size() const { return in_.size(); }
  bool empty() const { return in_.empty(); }
  // Bytes consumed since construction.
  std::size_t consumed(std::string_view original) const {
    return original.size() - in_.size();
  }

  bool get_u8(uint8_t* v) {
    if (in_.empty()) return false;
    *v = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return true;
  }
  bool get_fixed16(uint16_t* v) {
    if (in_.size() < 2) return false;
    *v = decode_fixed16(in_.data());
    in_.remove_prefix(2);
    return true;
  }
  bool get_fixed32(uint32_t* v) {
    if (in_.size() < 4) return false;
    *v = decode_fixed32(in_.data());
    in_.remove_prefix(4);
    return true;
  }
  bool get_fixed64(uint64_t* v) {
    if (in_.size() < 8) return false;
    *v = decode_fixed64(in_.data());
    in_.remove_prefix(8);
    return true;
  }
  bool get_varint64(uint64_t* v) {
    uint64_t result = 0;
    for (std::size_t i = 0; i < in_.size() && i < 10; ++i) {
      auto byte = static_cast<uint8_t>(in_[i]);
      if (i == 9 && byte > 1) return false;  // more than 64 bits
      result |= static_cast<uint64_t>(byte & 0x7F) << (7 * i);
      if ((byte & 0x80) == 0) {
        *v = result;
        in_.remove_prefix(i + 1);
        return true;
      }
    }
    return false;
  }
  bool get_varint_signed64(int64_t* v) {
    uint64_t u;
    if (!get_varint64(&u)) return false;
    *v = static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
    return true;
  }
  bool get_bytes(std::size_t n, std::string_view* out) {
    if (in_.size() < n) return false;
    *out = in_.substr(0, n);
    in_.remove_prefix(n);
    return true;
  }
  bool get_length_prefixed(std::string_view* out) {
    std::string_view saved = in_;
    uint64_t n;
    if (!get_varint64(&n) || n > in_.size()) {
      in_ = saved;
      return false;
    }
    *out = in_.substr(0, static_cast<std::size_t>(n));
    in_.remove_prefix(static_cast<std::size_t>(n));
    return true;
  }

 private:
  std::string_view in_;
};

}  // namespace strata::durability

#endif  // STRATA_DURABILITY_SRC_UTIL_CODING_H_
