#pragma once

#include <QString>

#include "core/catchboundary.h"

namespace ckpt::app
{

// The catch boundary of a background job: wraps a QtConcurrent worker body so that an exception from it (the core
// should raise none; bad_alloc can still happen) becomes the job's ordinary failed answer, built by `onError` from
// the error, instead of being rethrown on the GUI thread by QFuture::result().
template <class Body, class OnError> auto guardedWorker(Body body, OnError onError)
{
    return [body = std::move(body), onError = std::move(onError)]() mutable -> decltype(body()) {
        try {
            return body();
        } catch (...) {
            return onError(currentExceptionAsError("the background job"));
        }
    };
}

inline QString workerErrorText(const Error& error)
{
    return QString::fromStdString(error.detail);
}

} // namespace ckpt::app
