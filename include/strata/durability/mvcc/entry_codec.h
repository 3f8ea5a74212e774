// The binary encoding of one WALEntry (the payload of one log record).
//
// Our own compact, versioned format, written up field by field in
// docs/format.md (section 6): an encoding-version byte, the entry's type byte,
// then its fields in order (varints, length-prefixed bytes, raw UUIDs).
// Logs written in an older version stay readable: the version byte of each
// entry says how to read it. The
// original used bincode, which could not evolve and did not encode maps
// deterministically; this encoding is canonical: one entry has exactly one
// encoding, and decoding rejects any other byte string.

#ifndef STRATA_DURABILITY_MVCC_ENTRY_CODEC_H_
#define STRATA_DURABILITY_MVCC_ENTRY_CODEC_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "strata/durability/mvcc/entry_view.h"
#include "strata/durability/mvcc/wal_entry.h"
#include "strata/durability/result.h"
#include "strata/durability/status.h"

namespace strata::durability::mvcc {

// The newest encoding version, the one this library writes; it reads
// every version from kOldestEntryEncodingVersion up to it.
// - Version 1: every entry spells out all its fields.
// - Version 2 changes only Write and Delete: the key's namespace is folded
//   into one form byte when it is the run's default one ("default" tenant,
//   app and agent, and the entry's own run id), and the type tag rides in
//   that byte too (docs/format.md, section 6). Every other entry type has
//   no version-2 form and is still written as version 1.
inline constexpr uint8_t kEntryEncodingVersion = 2;
inline constexpr uint8_t kOldestEntryEncodingVersion = 1;
// How deeply Values (arrays and objects) may nest. Bounded so that decoding
// hostile bytes cannot exhaust the stack.
inline constexpr int kMaxValueDepth = 64;

// Appends the encoding of `entry` to `*out`. InvalidArgument (and `*out`
// unchanged) when the entry cannot be read back: a Value nested deeper than
// kMaxValueDepth.
Status encode_entry(const WALEntry& entry, std::string* out);

// The same encoding in two steps, for writers that encode straight into a
// buffer of their own: the exact size of encode_entry's output (errors as
// encode_entry), then the bytes written at `dst`, which must have room for
// that many; returns the end of what it wrote. Both are pure functions of
// the entry.
Result<std::size_t> encoded_entry_size(const WALEntry& entry);
char* encode_entry_to(const WALEntry& entry, char* dst);

// encode_entry in a given encoding version (1 or 2; InvalidArgument for
// another): what an older library wrote, for tests, fixtures and the
// fuzzer's re-encoding check. Version 2 writes exactly what encode_entry
// does.
Status encode_entry_as(const WALEntry& entry, uint8_t encoding_version,
                       std::string* out);

// Decodes exactly one entry from `bytes`, of any version this library
// reads. Never crashes and never allocates much more than the input's
// size, whatever the bytes. Errors:
// - NotSupported: the encoding version byte is newer than
//   kEntryEncodingVersion (a newer library wrote it; the bytes are probably
//   fine).
// - Corruption for anything else: an empty input, version 0, an unknown
//   type byte, a version-2 byte on a type that has no version-2 form,
//   truncation, trailing bytes, a value out of range (a bool byte other
//   than 0/1, an unknown tag, a metric byte > 2, unsorted or duplicate
//   object keys, nesting past kMaxValueDepth, a varint longer than 64
//   bits, a field spelled out that its version folds away). The message
//   names the entry type, the field and the byte offset.
Result<WALEntry> decode_entry(std::string_view bytes);

// decode_entry into an existing entry, for readers that decode many: when
// `*out` already holds an entry of the same type, its strings keep their
// storage and are overwritten in place, so a reader that decodes into the
// same few entries over and over stops allocating once they have grown to
// the sizes the log holds. The same checks and errors as decode_entry; on
// an error `*out` holds an unspecified (but valid) entry.
Status decode_entry_into(std::string_view bytes, WALEntry* out);

// Decodes a Write or Delete entry as views into `bytes` (entry_view.h),
// copying nothing: true and `*out` set. False (and `*out` untouched) for
// an entry of any other type, which the caller decodes with
// decode_entry_into. The same checks and errors as decode_entry: a view
// returned is of a valid entry, and converting it never fails.
Result<bool> decode_entry_view(std::string_view bytes, EntryView* out);

// Decodes one Value encoded as inside an entry (docs/format.md, section 6),
// with the same checks; the whole input must be that one value.
Status decode_value(std::string_view encoding, Value* out);

}  // namespace strata::durability::mvcc

#endif  // STRATA_DURABILITY_MVCC_ENTRY_CODEC_H_
