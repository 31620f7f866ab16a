#include "support/exportsupport.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>

namespace exporttest
{

namespace
{

Run runProcess(const QString& program, const QStringList& args, int timeoutMs)
{
    QProcess process;
    process.start(program, args);
    Run run;
    if (!process.waitForStarted(30000)) {
        run.err = "could not start " + program.toUtf8();
        return run;
    }
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished();
        run.err = "timed out: " + program.toUtf8();
        return run;
    }
    run.out = process.readAllStandardOutput();
    run.err = process.readAllStandardError();
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    return run;
}

} // namespace

QString fixturePath(const QString& file)
{
    QString path = QStringLiteral(CKPT_FIXTURE_DIR) + "/" + file;
    return QFileInfo::exists(path) ? path : QString();
}

Run python(const QString& code, const QStringList& args, int timeoutMs)
{
    return runProcess(QStringLiteral(CKPT_PYTHON), QStringList{"-c", code} + args, timeoutMs);
}

Run ckpt(const QStringList& args, int timeoutMs)
{
    return runProcess(QStringLiteral(CKPT_EXE), args, timeoutMs);
}

QByteArray fileDigest(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) return {};
    QCryptographicHash hash(QCryptographicHash::Sha256);
    hash.addData(&file);
    return hash.result().toHex();
}

QStringList directoryEntries(const QString& dir)
{
    QStringList names =
        QDir(dir).entryList(QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot, QDir::Name);
    return names;
}

ckpt::VoidResult FullDiskSink::write(const void* data, size_t size)
{
    if (m_inner.position() + size > m_budget) return ckpt::makeError(ckpt::Status::IoError, "No space left on device");
    return m_inner.write(data, size);
}

} // namespace exporttest
