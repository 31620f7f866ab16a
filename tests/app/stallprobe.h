#pragma once

#include <algorithm>

#include <QElapsedTimer>
#include <QTimer>

// The longest time the UI thread's event loop could not react: a zero-interval timer fires whenever the loop
// is idle, and the longest wait between two firings is the worst stall. Shared by the GUI tests and the bench.
namespace ckpt::testing
{

class StallProbe
{
public:
    StallProbe()
    {
        m_timer.setInterval(0);
        QObject::connect(&m_timer, &QTimer::timeout, [this] {
            const qint64 now = m_clock.nsecsElapsed();
            m_maxGap = std::max(m_maxGap, now - m_last);
            m_last = now;
        });
    }
    void start()
    {
        m_maxGap = 0;
        m_clock.start();
        m_last = 0;
        m_timer.start();
    }
    // Stops and returns the largest gap in milliseconds.
    double stop()
    {
        m_timer.stop();
        return double(m_maxGap) / 1e6;
    }

private:
    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_last = 0;
    qint64 m_maxGap = 0;
};

} // namespace ckpt::testing
