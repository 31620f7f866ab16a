#pragma once

#include <atomic>
#include <memory>

#include <QFutureWatcher>
#include <QObject>
#include <QString>
#include <QThreadPool>

#include "core/format/loader.h"
#include "models/checkpointtreemodel.h"

namespace ckpt::app
{

// What a finished scan hands to the window: a health entry per tensor, or why there is none.
struct HealthOutcome {
    std::shared_ptr<const models::HealthTable> table; // null when the scan failed or was cancelled
    QString error;
    bool cancelled = false;
};

// The whole-file NaN/Inf scan (the tensor module's scanHealth, LibTorch loaded in the worker) in the
// background: one job per document, progress in bytes, cancellable; starting a new scan cancels the old one and
// only the latest scan's answer is delivered.
class HealthScanJob : public QObject
{
    Q_OBJECT
public:
    explicit HealthScanJob(QObject* parent = nullptr);
    ~HealthScanJob() override; // cancels and waits: the worker never outlives the window

    void start(CheckpointPtr doc);
    void cancel();
    // Cancels and waits for the scan thread (the process is ending: see liveJobs() in the .cpp).
    void stopAndWait();
    bool isRunning() const { return m_running != nullptr; }

    // The scan itself, synchronously (the worker's body; tests and the bench call it directly).
    static HealthOutcome run(const Checkpoint& doc, const std::atomic<bool>* cancel,
                             const std::function<void(uint64_t, uint64_t)>& tick = {});

signals:
    void progress(qint64 done, qint64 total);
    void finished(const ckpt::app::HealthOutcome& outcome);

private:
    struct Job;
    std::shared_ptr<Job> m_running;
    quint64 m_generation = 0;
    QList<QFutureWatcher<HealthOutcome>*> m_watchers;
    // Its own thread, not the global pool: a scan runs for as long as the file takes to read, and Qt's raster
    // painter on the UI thread hands work to the global pool and waits for it (a busy pool froze the window).
    QThreadPool m_pool;
};

} // namespace ckpt::app

Q_DECLARE_METATYPE(ckpt::app::HealthOutcome)
