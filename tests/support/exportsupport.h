#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>

#include "core/zip/zipwritersink.h"
#include "support/runprocess.h"

// Helpers of the export tests: fixture paths, runs of the Python oracle (real PyTorch) and of the ckpt
// binary, and a byte hash to prove an input file was left untouched.
namespace exporttest
{

using Run = ckpt::test::ByteRun;

// CKPT_FIXTURE_DIR/<file>; empty if the file is not there.
QString fixturePath(const QString& file);
// The Python oracle (support/runprocess.h) on `code` with `args` as sys.argv[1:]; waits up to `timeoutMs`.
Run python(const QString& code, const QStringList& args = {}, int timeoutMs = 300000);
// The ckpt binary under test with `args`.
Run ckpt(const QStringList& args, int timeoutMs = 300000);
// SHA-256 of a whole file (empty when unreadable).
QByteArray fileDigest(const QString& path);
// Names in a directory other than . and .., sorted.
QStringList directoryEntries(const QString& dir);

// Fails every write once `budget` bytes have gone through: a disk that fills up mid-way.
class FullDiskSink : public ckpt::ZipWriterSink
{
public:
    FullDiskSink(ckpt::ZipWriterSink& inner, uint64_t budget) : m_inner(inner), m_budget(budget) {}
    ckpt::VoidResult write(const void* data, size_t size) override;
    ckpt::VoidResult writeAt(uint64_t offset, const void* data, size_t size) override
    {
        return m_inner.writeAt(offset, data, size);
    }
    uint64_t position() const override { return m_inner.position(); }

private:
    ckpt::ZipWriterSink& m_inner;
    uint64_t m_budget;
};

} // namespace exporttest
