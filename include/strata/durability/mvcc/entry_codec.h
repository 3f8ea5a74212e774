// The binary encoding of one WALEntry (the payload of one log record).
//
// Our own compact, versioned format, written up field by field in
// docs/format.md (section 6): an encoding-version byte, the entry's type byte,
// then its fields in order (varints, length-prefixed bytes, raw UUIDs). The
// original used bincode, which could not evolve and did not encode maps
// deterministically; this encoding is canonical: one entry has exactly one
// encoding, and decoding rejects any other byte string.

#ifndef STRATA_DURABILITY_MVCC_ENTRY_CODEC_H_
#define STRATA_DURABILITY_MVCC_ENTRY_CODEC_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "strata/durability/mvcc/wal_entry.h"
#include "strata/durability/result.h"
#include "strata/durability/status.h"

namespace strata::durability::mvcc {

// The encoding version this library writes and reads.
inline constexpr uint8_t kEntryEncodingVersion = 1;
// How deeply Values (arrays and objects) may nest. Bounded so that decoding
// hostile bytes cannot exhaust the stack.
inline constexpr int kMaxValueDepth = 64;

// Appends the encoding of `entry` to `*out`. InvalidArgument (and `*out`
// unchanged) when the entry cannot be read back: a Value nested deeper than
// kMaxValueDepth.
Status encode_entry(const WALEntry& entry, std::string* out);

// encode_entry in two steps, for a log that encodes straight into its
// write buffer: the size of the encoding (with encode_entry's check and
// error), then the encoding written at `out`, exactly that many bytes, for
// an entry whose size was taken. Returns the end of what was written.
Result<std::size_t> encoded_entry_size(const WALEntry& entry);
char* encode_entry_to(const WALEntry& entry, char* out);

// Decodes exactly one entry from `bytes`. Never crashes and never allocates
// much more than the input's size, whatever the bytes. Errors:
// - NotSupported: the encoding version byte is newer than
//   kEntryEncodingVersion (a newer library wrote it; the bytes are probably
//   fine).
// - Corruption for anything else: an empty input, version 0, an unknown
//   type byte, truncation, trailing bytes, a value out of range (a bool byte
//   other than 0/1, an unknown tag, a metric byte > 2, unsorted or duplicate
//   object keys, nesting past kMaxValueDepth, a varint longer than 64 bits).
//   The message names the entry type, the field and the byte offset.
Result<WALEntry> decode_entry(std::string_view bytes);

// decode_entry into an existing entry, for readers that decode many: when
// `*out` already holds an entry of the same type, its strings keep their
// storage and are overwritten in place, so a reader that decodes into the
// same few entries over and over stops allocating once they have grown to
// the sizes the log holds. The same checks and errors as decode_entry; on
// an error `*out` holds an unspecified (but valid) entry.
Status decode_entry_into(std::string_view bytes, WALEntry* out);

}  // namespace strata::durability::mvcc

#endif  // STRATA_DURABILITY_MVCC_ENTRY_CODEC_H_
