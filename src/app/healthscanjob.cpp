#include "app/healthscanjob.h"

#include <numeric>
#include <set>

#ifdef __linux__
#include <sys/resource.h>
#endif

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QPointer>
#include <QtConcurrent/QtConcurrent>

#include "app/workerguard.h"
#ifdef CKPT_HAVE_TENSOR_LOADER
#include "tensor/tensorloader.h"
#endif

namespace ckpt::app
{

struct HealthScanJob::Job {
    quint64 generation = 0;
    std::atomic<bool> cancel{false};
    QElapsedTimer clock;
    std::atomic<qint64> lastTickMs{-1000};
};

namespace
{

// Every job alive (created and destroyed on the UI thread). A window that is never destroyed (a second window still
// open when the process ends, a test that leaks one) keeps its scan thread running after main() returns, inside
// LibTorch while its static destructors run: a crash at exit. QCoreApplication's destructor, which runs before
// them, stops every live scan first.
std::set<HealthScanJob*>& liveJobs()
{
    static std::set<HealthScanJob*> jobs;
    return jobs;
}

void stopLiveScans()
{
    for (HealthScanJob* job : liveJobs())
        job->stopAndWait();
}

} // namespace

HealthScanJob::HealthScanJob(QObject* parent) : QObject(parent)
{
    qRegisterMetaType<HealthOutcome>();
    m_pool.setMaxThreadCount(1); // one scan at a time; a cancelled one stops at its next chunk
    static const bool registered = [] {
        qAddPostRoutine(stopLiveScans);
        return true;
    }();
    (void)registered;
    liveJobs().insert(this);
}

void HealthScanJob::stopAndWait()
{
    cancel();
    m_pool.waitForDone();
}

HealthScanJob::~HealthScanJob()
{
    liveJobs().erase(this);
    cancel();
    for (auto* w : std::as_const(m_watchers)) {
        w->disconnect(this);
        w->waitForFinished();
    }
}

void HealthScanJob::cancel()
{
    if (m_running) m_running->cancel = true;
}

HealthOutcome HealthScanJob::run(const Checkpoint& doc, const std::atomic<bool>* cancel,
                                 const std::function<void(uint64_t, uint64_t)>& tick)
{
    HealthOutcome out;
#ifndef CKPT_HAVE_TENSOR_LOADER
    (void)doc;
    (void)cancel;
    (void)tick;
    out.error = QStringLiteral("the tensor module is not part of this build");
    return out;
#else
    std::string why;
    if (!tensor::tensorModuleAvailable(&why)) {
        out.error = QString::fromStdString(why);
        return out;
    }
    Progress progress;
    progress.cancel = cancel;
    progress.report = tick;
    Result<tensor::HealthReport> report = tensor::scanHealth(doc, {}, progress);
    if (!report) {
        out.cancelled = report.error().status == Status::Cancelled;
        out.error = QString::fromStdString(report.error().detail);
        return out;
    }
    // The scan reads a sparse tensor's values through its component; the row shows the tensor that owns it.
    std::vector<int> owner(doc.tensors.size());
    std::iota(owner.begin(), owner.end(), 0);
    for (size_t i = 0; i < doc.tensors.size(); ++i)
        for (int part : doc.tensors[i].parts)
            if (part >= 0 && size_t(part) < owner.size()) owner[size_t(part)] = int(i);
    auto table = std::make_shared<models::HealthTable>();
    table->document = &doc;
    // Every tensor the scan did not skip was read in full: no finding means no NaN and no Inf.
    table->tensors.assign(doc.tensors.size(), models::TensorHealth{true, 0, 0, 0, {}});
    for (const auto& [index, reason] : report.value().skipped) {
        if (index < 0 || size_t(index) >= owner.size()) continue;
        models::TensorHealth& h = table->tensors[size_t(owner[size_t(index)])];
        h.scanned = false;
        h.skipped = QString::fromStdString(reason);
    }
    for (const tensor::HealthFinding& f : report.value().findings) {
        if (f.tensor < 0 || size_t(f.tensor) >= owner.size()) continue;
        models::TensorHealth& h = table->tensors[size_t(owner[size_t(f.tensor)])];
        h.nan += f.nan;
        h.posinf += f.posinf;
        h.neginf += f.neginf;
    }
    out.table = std::move(table);
    return out;
#endif
}

void HealthScanJob::start(CheckpointPtr doc)
{
    cancel();
    auto job = std::make_shared<Job>();
    job->generation = ++m_generation;
    job->clock.start();
    m_running = job;
    if (!doc) {
        m_running.reset();
        return;
    }
    QPointer<HealthScanJob> self(this);
    auto work = [job, self, doc]() -> HealthOutcome {
#ifdef __linux__
        // A lower share of the CPU than the window, the matcher and a clicked tensor's statistics (Linux nice
        // values are per thread; this pool's one thread only ever scans). Not idle priority: a starved thread
        // holding the tensor module's load lock would make everyone wait.
        setpriority(PRIO_PROCESS, 0, 10);
#endif
        auto tick = [job, self](uint64_t done, uint64_t total) {
            // ~10 updates a second are enough for a bar; the UI thread is not flooded by a 40,000-tensor file.
            const qint64 now = job->clock.elapsed();
            if (done < total && now - job->lastTickMs.load() < 100) return;
            job->lastTickMs = now;
            const quint64 generation = job->generation;
            QMetaObject::invokeMethod(
                self.data(),
                [self, generation, done, total] {
                    if (self && self->m_generation == generation) emit self->progress(qint64(done), qint64(total));
                },
                Qt::QueuedConnection);
        };
        return run(*doc, &job->cancel, tick);
    };
    auto* watcher = new QFutureWatcher<HealthOutcome>(this);
    m_watchers.append(watcher);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, job] {
        m_watchers.removeOne(watcher);
        watcher->deleteLater();
        if (job->generation != m_generation) return; // a newer document's scan replaced this one
        m_running.reset();
        emit finished(watcher->result());
    });
    watcher->setFuture(QtConcurrent::run(&m_pool, guardedWorker(std::move(work), [](const Error& error) {
        HealthOutcome out;
        out.error = workerErrorText(error);
        return out;
    })));
}

} // namespace ckpt::app
