#include "app/samplefile.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>

// Resources of a static library must be registered by name from the global namespace.
static void initAppResources()
{
    Q_INIT_RESOURCE(app);
}

namespace ckpt::app
{

namespace
{

QString extract(const QString& resource, const QString& name)
{
    // One folder per process, removed at exit; the loader needs a real file to map.
    initAppResources();
    static QTemporaryDir dir(QDir::tempPath() + QStringLiteral("/checkpoint-inspector-sample-XXXXXX"));
    if (!dir.isValid()) return {};
    const QString target = dir.filePath(name);
    if (QFile::exists(target)) return target;
    if (!QFile::copy(resource, target)) return {};
    QFile::setPermissions(target, QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    return target;
}

} // namespace

QString SampleFile::checkpointPath()
{
    return extract(QStringLiteral(":/sample/tinyresnet_dataparallel.pth"),
                   QStringLiteral("tinyresnet_dataparallel.pth"));
}

QString SampleFile::architectureSpec()
{
    return extract(QStringLiteral(":/sample/tinyresnet_arch.json"), QStringLiteral("tinyresnet_arch.json"));
}

} // namespace ckpt::app
