#include "app/architecturematcher.h"

#include <QtConcurrent/QtConcurrent>

#include "app/architectureresolver.h"
#include "app/workerguard.h"
#include "models/matchoverlaybuilder.h"

namespace ckpt::app
{

ArchitectureMatcher::ArchitectureMatcher(QObject* parent) : QObject(parent)
{
    qRegisterMetaType<MatchOutcome>();
}

ArchitectureMatcher::~ArchitectureMatcher()
{
    for (auto* w : std::as_const(m_watchers)) {
        w->disconnect(this);
        w->waitForFinished();
    }
}

MatchOutcome ArchitectureMatcher::run(CheckpointPtr doc, const QString& archSpec, models::TreeView view)
{
    MatchOutcome out;
    out.archSpec = archSpec;
    if (archSpec.isEmpty()) {
        // No architecture: the plain tree, rebuilt here rather than on the UI thread (40,000 rows take long).
        out.tree = models::CheckpointTree::build(doc, {}, view);
        return out;
    }
    Result<ArchitectureSpec> spec = resolveArchitectureSpec(archSpec.toStdString());
    if (!spec.ok()) {
        out.error = QString::fromStdString(spec.error().describe(archSpec.toStdString()));
        return out;
    }
    Result<MatchReport> report = matchCheckpoint(*doc, spec.value());
    if (!report.ok()) {
        out.error = QString::fromStdString(report.error().detail);
        return out;
    }
    auto shared = std::make_shared<const MatchReport>(std::move(report).value());
    out.report = shared;
    out.tree = models::CheckpointTree::build(doc, models::overlayFromReport(*shared), view);
    return out;
}

void ArchitectureMatcher::match(CheckpointPtr doc, const QString& archSpec, models::TreeView view)
{
    const quint64 generation = ++m_generation;
    auto* watcher = new QFutureWatcher<MatchOutcome>(this);
    m_watchers.append(watcher);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, generation] {
        m_watchers.removeOne(watcher);
        watcher->deleteLater();
        if (generation == m_generation) emit finished(watcher->result());
    });
    watcher->setFuture(QtConcurrent::run(guardedWorker([doc, archSpec, view] { return run(doc, archSpec, view); },
                                                       [](const Error& error) {
                                                           MatchOutcome out;
                                                           out.error = workerErrorText(error);
                                                           return out;
                                                       })));
}

} // namespace ckpt::app
