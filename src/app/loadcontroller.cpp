#include "app/loadcontroller.h"

#include <chrono>

#include <QElapsedTimer>
#include <QtConcurrent/QtConcurrent>

#include "app/workerguard.h"
#include "core/model/checkpointjson.h"

namespace ckpt::app
{

struct LoadController::Job {
    quint64 generation = 0;
    QString path;
    std::atomic<bool> cancel{false};
    std::atomic<qint64> lastTickMs{-1000};
    QElapsedTimer clock;
};

struct LoadController::Outcome {
    CheckpointPtr doc;
    std::shared_ptr<const models::CheckpointTree> tree;
    std::string wrapperPrefix;
    bool ok = false;
    Error error;
    qint64 elapsedMs = 0;
};

LoadController::LoadController(QObject* parent) : QObject(parent)
{
    qRegisterMetaType<LoadedDocument>();
}

LoadController::~LoadController()
{
    // Workers post progress to this object; they must be done before it goes away.
    if (m_running) m_running->cancel = true;
    for (auto* w : std::as_const(m_watchers)) {
        w->disconnect(this);
        w->waitForFinished();
    }
}

quint64 LoadController::open(const QString& path)
{
    if (m_running) m_running->cancel = true; // the old job stops early; its result would be dropped anyway
    auto job = std::make_shared<Job>();
    job->generation = ++m_generation;
    job->path = path;
    job->clock.start();
    m_running = job;
    m_path = path;
    emit started(path);

    QPointer<LoadController> self(this);
    const models::TreeView view = m_view;
    auto work = [job, self, view]() -> Outcome {
        Progress progress;
        progress.cancel = &job->cancel;
        progress.report = [job, self](uint64_t done, uint64_t total) {
            // Throttled to ~30 updates a second: the UI thread only needs to repaint a bar.
            const qint64 now = job->clock.elapsed();
            if (done < total && now - job->lastTickMs.load() < 33) return;
            job->lastTickMs = now;
            const quint64 generation = job->generation;
            QMetaObject::invokeMethod(
                self.data(),
                [self, generation, done, total] {
                    if (self && self->m_generation == generation) emit self->progress(qint64(done), qint64(total));
                },
                Qt::QueuedConnection);
        };
        Outcome out;
        Result<CheckpointPtr> r = loadCheckpoint(job->path.toStdString(), progress);
        if (!r.ok()) {
            out.error = r.error();
        } else if (job->cancel) {
            out.error = makeError(Status::Cancelled, "cancelled");
        } else {
            out.doc = r.value();
            out.tree = models::CheckpointTree::build(out.doc, {}, view);
            out.wrapperPrefix = commonWrapperPrefix(*out.doc);
            out.ok = true;
        }
        out.elapsedMs = job->clock.elapsed();
        return out;
    };
    auto* watcher = new QFutureWatcher<Outcome>(this);
    m_watchers.append(watcher);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, job, watcher] { finish(job, watcher); });
    watcher->setFuture(QtConcurrent::run(guardedWorker(std::move(work), [](const Error& error) {
        Outcome out;
        out.error = error;
        return out;
    })));
    return job->generation;
}

quint64 LoadController::retry()
{
    return m_path.isEmpty() ? 0 : open(m_path);
}

void LoadController::cancel()
{
    if (!m_running) return;
    m_running->cancel = true;
    const QString path = m_running->path;
    // Forget the job now: whatever it returns later is stale, and the window can move on at once.
    m_running.reset();
    ++m_generation;
    emit cancelled(path);
}

void LoadController::finish(const std::shared_ptr<Job>& job, QFutureWatcher<Outcome>* watcher)
{
    m_watchers.removeOne(watcher);
    watcher->deleteLater();
    if (job->generation != m_generation) return; // stale: a newer open() or a cancel() came after it
    m_running.reset();
    Outcome out = watcher->result();
    if (!out.ok) {
        if (out.error.status == Status::Cancelled) {
            emit cancelled(job->path);
            return;
        }
        QString reason = QString::fromStdString(out.error.detail);
        if (out.error.offset > 0) reason += tr(" (at byte %1)").arg(out.error.offset);
        emit failed(job->path, reason);
        return;
    }
    LoadedDocument result;
    result.path = job->path;
    result.doc = std::move(out.doc);
    result.tree = std::move(out.tree);
    result.wrapperPrefix = QString::fromStdString(out.wrapperPrefix);
    result.elapsedMs = out.elapsedMs;
    emit loaded(result);
}

} // namespace ckpt::app
