#pragma once

#include <string>

#include "core/result.h"

namespace ckpt
{

// The exception being handled (inside a catch block) as an Error: bad_alloc becomes LimitExceeded, a JSON library
// error (a string that is not UTF-8, a value of the wrong type) or any other exception becomes Corrupt, naming
// `during` ("loading", "exporting") and what was thrown. Never throws.
Error currentExceptionAsError(const char* during) noexcept;

// Runs `body` (returning a Result) at a public entry point, so that no exception from deep inside (the allocator,
// nlohmann::json, the standard library) escapes as std::terminate in the CLI or a rethrow on the GUI thread.
template <class Body> auto catchBoundary(const char* during, Body&& body) noexcept -> decltype(body())
{
    try {
        return body();
    } catch (...) {
        return currentExceptionAsError(during);
    }
}

} // namespace ckpt
