#include "core/result.h"

namespace ckpt
{

const char* statusName(Status status)
{
    switch (status) {
    case Status::Ok:
        return "ok";
    case Status::IoError:
        return "I/O error";
    case Status::Truncated:
        return "truncated";
    case Status::Corrupt:
        return "corrupt";
    case Status::Unsupported:
        return "unsupported";
    case Status::LimitExceeded:
        return "limit exceeded";
    case Status::FileChanged:
        return "file changed on disk";
    case Status::Cancelled:
        return "cancelled";
    case Status::Refused:
        return "refused";
    }
    return "unknown";
}

std::string Error::describe(const std::string& file) const
{
    std::string text = file + ": " + detail;
    if (offset != 0 && status != Status::IoError && status != Status::Cancelled && status != Status::Refused)
        text += " (at byte " + std::to_string(offset) + ")";
    return text;
}

} // namespace ckpt
