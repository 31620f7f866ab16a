#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace ckpt
{

// Why an operation failed. Errors travel as values across the core API; exceptions never escape it.
enum class Status {
    Ok,
    IoError,       // the file could not be opened, mapped or written
    Truncated,     // the data ends before a structure it announces
    Corrupt,       // the bytes contradict the format
    Unsupported,   // a valid construct this engine does not handle
    LimitExceeded, // a named safety limit (limits.h) was hit
    Cancelled,     // the caller's cancel flag was raised
    Refused,       // a requested edit would lose or endanger data (collision, dangerous global)
    FileChanged,   // an input file was truncated, rewritten or replaced after it was opened: reload it
};

const char* statusName(Status status);

struct Error {
    Status status = Status::Corrupt;
    uint64_t offset = 0; // byte offset in the file where the problem was found, when meaningful
    std::string detail;  // one human sentence, without the file name (the caller adds it)

    // "file: detail (at byte N)" as shown to users by the CLI and the GUI.
    std::string describe(const std::string& file) const;
};

inline Error makeError(Status status, std::string detail, uint64_t offset = 0)
{
    return Error{status, offset, std::move(detail)};
}

// A value or an Error. Deliberately tiny: ok(), value(), error(), and moving the value out.
template <class T> class Result
{
public:
    Result(T value) : m_data(std::move(value)) {}
    Result(Error error) : m_data(std::move(error)) {}

    bool ok() const { return std::holds_alternative<T>(m_data); }
    explicit operator bool() const { return ok(); }
    const T& value() const& { return std::get<T>(m_data); }
    T& value() & { return std::get<T>(m_data); }
    T&& value() && { return std::get<T>(std::move(m_data)); }
    const Error& error() const { return std::get<Error>(m_data); }

private:
    std::variant<T, Error> m_data;
};

// Result for operations that produce nothing but can fail.
struct Done {
};
using VoidResult = Result<Done>;

} // namespace ckpt
