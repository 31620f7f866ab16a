#include "support/exportsupport.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>

namespace exporttest
{

QString fixturePath(const QString& file)
{
    QString path = QStringLiteral(CKPT_FIXTURE_DIR) + "/" + file;
    return QFileInfo::exists(path) ? path : QString();
}

Run python(const QString& code, const QStringList& args, int timeoutMs)
{
    return ckpt::test::runPythonBytes(code, args, timeoutMs);
}

Run ckpt(const QStringList& args, int timeoutMs)
{
    return ckpt::test::runProcessBytes(QStringLiteral(CKPT_EXE), args, timeoutMs);
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
