#include "support/guifixtures.h"
#include "support/runprocess.h"

#include <QDir>
#include <QFile>
#include <QtGlobal>

namespace ckpt::testing
{

QString guiFixture(const QString& file)
{
    return QDir(QStringLiteral(CKPT_FIXTURE_DIR)).filePath(file);
}

CheckpointPtr loadGuiFixture(const QString& file)
{
    Result<CheckpointPtr> r = loadCheckpoint(guiFixture(file).toStdString());
    if (!r.ok()) {
        qWarning("cannot load fixture %s: %s", qPrintable(file), r.error().detail.c_str());
        return nullptr;
    }
    return r.value();
}

nlohmann::json guiTruth(const QString& name)
{
    QFile f(guiFixture(name + QStringLiteral(".truth.json")));
    if (!f.open(QIODevice::ReadOnly)) return nullptr;
    return nlohmann::json::parse(f.readAll().toStdString(), nullptr, false);
}

int runPython(const QString& code, const QStringList& args, QString* output, int timeoutMs)
{
    const test::ByteRun run = test::runPythonBytes(code, args, timeoutMs);
    if (output) *output = QString::fromLocal8Bit(run.err + run.out);
    return run.exitCode;
}

} // namespace ckpt::testing
