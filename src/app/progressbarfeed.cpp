#include "app/progressbarfeed.h"

#include <memory>

#include <QElapsedTimer>
#include <QMetaObject>
#include <QPointer>
#include <QProgressBar>

namespace ckpt::app
{

std::function<void(uint64_t, uint64_t)> progressBarFeed(QProgressBar* bar)
{
    QPointer<QProgressBar> target(bar);
    auto clock = std::make_shared<QElapsedTimer>();
    clock->start();
    auto last = std::make_shared<qint64>(-1000);
    return [target, clock, last](uint64_t done, uint64_t total) {
        if (done < total && clock->elapsed() - *last < 50) return;
        *last = clock->elapsed();
        QMetaObject::invokeMethod(
            target.data(),
            [target, done, total] {
                if (!target || total == 0) return;
                target->setRange(0, 1000);
                target->setValue(int(double(done) * 1000.0 / double(total)));
            },
            Qt::QueuedConnection);
    };
}

} // namespace ckpt::app
