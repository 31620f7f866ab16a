#pragma once

#include <QEventLoop>
#include <QObject>
#include <QTimer>

namespace ckpt::app
{

// Runs the event loop until `signal` of `sender` fires or `timeoutMs` pass; `trigger` runs after connecting,
// so a signal emitted synchronously by it is not missed. For scripted flows (screenshots, benchmarks).
template <class Sender, class Signal, class Trigger>
bool waitForSignal(Sender* sender, Signal signal, Trigger trigger, int timeoutMs)
{
    QEventLoop loop;
    bool fired = false;
    auto connection = QObject::connect(sender, signal, &loop, [&] {
        fired = true;
        loop.quit();
    });
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    trigger();
    if (!fired) loop.exec();
    QObject::disconnect(connection);
    return fired;
}

} // namespace ckpt::app
