#include "core/catchboundary.h"

#include <exception>
#include <new>

#include <nlohmann/json.hpp>

namespace ckpt
{

Error currentExceptionAsError(const char* during) noexcept
{
    try {
        try {
            throw;
        } catch (const std::bad_alloc&) {
            return makeError(Status::LimitExceeded, std::string(during) + " needs more memory than is available");
        } catch (const nlohmann::json::exception& e) {
            // e.g. [json.exception.type_error.316] invalid UTF-8 byte: a name from a pickle that is not text.
            return makeError(Status::Corrupt, std::string(during) + " met data JSON cannot hold: " + e.what());
        } catch (const std::exception& e) {
            return makeError(Status::Corrupt, std::string(during) + " failed: " + e.what());
        } catch (...) {
            return makeError(Status::Corrupt, std::string(during) + " failed with an unknown error");
        }
    } catch (...) { // building the message itself ran out of memory
        return Error{Status::LimitExceeded, 0, {}};
    }
}

} // namespace ckpt
