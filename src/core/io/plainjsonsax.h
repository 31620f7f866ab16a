#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ckpt
{

// How far sax_parse_plain got.
enum class PlainJsonOutcome {
    Accepted, // the whole text was read; every event went to the handler, as nlohmann::json::sax_parse sends them
    Stopped,  // a handler call returned false, as it would have under nlohmann::json::sax_parse at the same event
    Unsure,   // the text leaves the plain subset (or is not JSON): run nlohmann::json::sax_parse on a fresh handler
};

// A fast path for large machine-written JSON (safetensors headers, shard indexes): drives an nlohmann SAX handler
// over the plain subset of JSON that writers produce (ASCII strings without escapes, unsigned integers that fit in
// 64 bits, true/false/null, objects and arrays) with no per-character bookkeeping; nlohmann's lexer keeps a copy of
// every token for its error messages and was three quarters of the time to open a 150,000-tensor header.
//
// Whatever it accepts, nlohmann accepts with the same events in the same order (tests/core/tst_plainjsonsax.cpp
// checks that against nlohmann on random texts). It gives up (Unsure) at the first thing outside the subset, which
// includes every error, so the caller reruns nlohmann on a fresh handler to get its exact events and message;
// events already sent are then discarded with the handler. Iterative (no recursion); the container stack holds one
// bit per open level, as nlohmann's does; time linear in the text.
template <class Sax> PlainJsonOutcome sax_parse_plain(std::string_view text, Sax& sax)
{
    using Outcome = PlainJsonOutcome;
    const char* p = text.data();
    const char* const end = p + text.size();
    std::vector<bool> inArray; // the open containers, innermost last
    std::string buffer;        // the current string or key; handlers may move from it

    auto skipSpace = [&] {
        while (p != end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
            ++p;
    };
    // An escape-free ASCII string from the opening quote at p into buffer; false when it is anything else.
    auto readString = [&] {
        const char* start = ++p;
        while (p != end) {
            const auto c = static_cast<unsigned char>(*p);
            if (c == '"') break;
            if (c == '\\' || c < 0x20 || c >= 0x80) return false; // escapes, control bytes, UTF-8: nlohmann's job
            ++p;
        }
        if (p == end) return false;
        buffer.assign(start, static_cast<size_t>(p - start));
        ++p;
        return true;
    };
    auto literal = [&](std::string_view word) {
        if (static_cast<size_t>(end - p) < word.size() || std::string_view(p, word.size()) != word) return false;
        p += word.size();
        return true;
    };

    enum class Next { Value, Key, AfterValue };
    Next next = Next::Value;
    for (;;) {
        skipSpace();
        if (next == Next::AfterValue) {
            if (inArray.empty()) return p == end ? Outcome::Accepted : Outcome::Unsure; // nothing may follow the top
            if (p == end) return Outcome::Unsure;
            const bool array = inArray.back();
            if (*p == ',') {
                ++p;
                next = array ? Next::Value : Next::Key;
            } else if (*p == (array ? ']' : '}')) {
                ++p;
                inArray.pop_back();
                if (!(array ? sax.end_array() : sax.end_object())) return Outcome::Stopped;
            } else {
                return Outcome::Unsure;
            }
            continue;
        }
        if (p == end) return Outcome::Unsure;
        if (next == Next::Key) { // after '{' or a ',' in an object: a member name, then ':'
            if (*p != '"' || !readString()) return Outcome::Unsure;
            skipSpace();
            if (p == end || *p != ':') return Outcome::Unsure;
            ++p;
            if (!sax.key(buffer)) return Outcome::Stopped;
            next = Next::Value;
            continue;
        }
        next = Next::AfterValue;
        const char c = *p;
        if (c == '{' || c == '[') {
            ++p;
            const bool array = c == '[';
            if (!(array ? sax.start_array(static_cast<std::size_t>(-1))
                        : sax.start_object(static_cast<std::size_t>(-1))))
                return Outcome::Stopped;
            skipSpace();
            if (p != end && *p == (array ? ']' : '}')) { // empty
                ++p;
                if (!(array ? sax.end_array() : sax.end_object())) return Outcome::Stopped;
            } else {
                inArray.push_back(array);
                next = array ? Next::Value : Next::Key;
            }
        } else if (c == '"') {
            if (!readString()) return Outcome::Unsure;
            if (!sax.string(buffer)) return Outcome::Stopped;
        } else if (c >= '0' && c <= '9') {
            // Unsigned integers only: a fraction, an exponent, a leading zero or a value past 64 bits is nlohmann's.
            uint64_t value = 0;
            const char* start = p;
            while (p != end && *p >= '0' && *p <= '9') {
                if (__builtin_mul_overflow(value, 10u, &value) ||
                    __builtin_add_overflow(value, static_cast<uint64_t>(*p - '0'), &value))
                    return Outcome::Unsure;
                ++p;
            }
            if (*start == '0' && p - start > 1) return Outcome::Unsure;
            if (p != end && (*p == '.' || *p == 'e' || *p == 'E')) return Outcome::Unsure;
            if (!sax.number_unsigned(value)) return Outcome::Stopped;
        } else if (literal("true")) {
            if (!sax.boolean(true)) return Outcome::Stopped;
        } else if (literal("false")) {
            if (!sax.boolean(false)) return Outcome::Stopped;
        } else if (literal("null")) {
            if (!sax.null()) return Outcome::Stopped;
        } else {
            return Outcome::Unsure; // a minus sign, a byte-order mark, a comment, anything else
        }
    }
}

} // namespace ckpt
