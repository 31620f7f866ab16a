// A file that changes under its mapping (issue 12, item 9). torch.save and Lightning rewrite checkpoints in place;
// a document opened before that must not die of SIGBUS on its next read of tensor bytes, and must not hand out
// results computed from zeros or from a mix of two versions: export and `diff --values` end with
// Status::FileChanged ("file changed on disk") and write nothing. Only regular files are opened: a FIFO would
// block open() forever.
#include <QTest>

#include <QTemporaryDir>

#include <string>

#include <sys/stat.h>
#include <unistd.h>

#include "core/analysis/valuecompare.h"
#include "core/edit/exporter.h"
#include "core/format/loader.h"
#include "support/exportsupport.h"

using namespace ckpt;

class TestFileChanged : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void exportAfterTruncation();
    void exportAfterRewriteOfTheSameSize();
    void diffValuesAfterTruncation();
    void unchangedFileStillExports();
    void fifoIsRefusedAtOnce();

private:
    // A fresh copy of the fixture: a 4 MiB tensor, then a small one (torch.save, real PyTorch).
    std::string freshCopy(const QString& name);
    int bigTensor(const Checkpoint& doc);

    QTemporaryDir m_dir;
    QString m_fixture;
};

void TestFileChanged::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_fixture = m_dir.filePath("fixture.pt");
    exporttest::Run made = exporttest::python("import sys, torch, collections\n"
                                              "torch.save(collections.OrderedDict(big=torch.arange(1 << 20, "
                                              "dtype=torch.float32), small=torch.ones(3)), sys.argv[1])\n",
                                              {m_fixture});
    QVERIFY2(made.exitCode == 0, made.err.constData());
}

void TestFileChanged::init()
{
    QFile::remove(m_dir.filePath("out.pt"));
}

std::string TestFileChanged::freshCopy(const QString& name)
{
    const QString path = m_dir.filePath(name);
    QFile::remove(path);
    QFile::copy(m_fixture, path);
    return path.toStdString();
}

int TestFileChanged::bigTensor(const Checkpoint& doc)
{
    for (size_t i = 0; i < doc.tensors.size(); ++i)
        if (doc.tensors[i].nbytes == (4u << 20)) return static_cast<int>(i);
    return -1;
}

void TestFileChanged::exportAfterTruncation()
{
    const std::string input = freshCopy("shrinks.pt");
    auto loaded = loadCheckpoint(input);
    QVERIFY(loaded.ok());
    QCOMPARE(::truncate(input.c_str(), 64 * 1024), 0); // the big tensor's pages now lie past the end
    const std::string output = m_dir.filePath("out.pt").toStdString();
    auto exported = Exporter(loaded.value(), ExportOptions{}).run(output);
    QVERIFY2(!exported.ok(), "an export from a truncated file was committed");
    QCOMPARE(exported.error().status, Status::FileChanged);
    QVERIFY2(exported.error().detail.find("changed on disk") != std::string::npos, exported.error().detail.c_str());
    QVERIFY(!QFile::exists(QString::fromStdString(output)));
}

void TestFileChanged::exportAfterRewriteOfTheSameSize()
{
    const std::string input = freshCopy("rewritten.pt");
    auto loaded = loadCheckpoint(input);
    QVERIFY(loaded.ok());
    { // the same bytes written again in place, a second later: same size, new modification time
        QFile file(QString::fromStdString(input));
        QVERIFY(file.open(QIODevice::ReadWrite));
        QByteArray all = file.readAll();
        QTest::qSleep(20);
        file.seek(0);
        file.write(all);
    }
    auto exported = Exporter(loaded.value(), ExportOptions{}).run(m_dir.filePath("out.pt").toStdString());
    QVERIFY(!exported.ok());
    QCOMPARE(exported.error().status, Status::FileChanged);
}

void TestFileChanged::diffValuesAfterTruncation()
{
    const std::string left = freshCopy("left.pt");
    const std::string right = freshCopy("right.pt");
    auto a = loadCheckpoint(left);
    auto b = loadCheckpoint(right);
    QVERIFY(a.ok() && b.ok());
    int ta = bigTensor(*a.value()), tb = bigTensor(*b.value());
    QVERIFY(ta >= 0 && tb >= 0);
    QCOMPARE(::truncate(right.c_str(), 64 * 1024), 0);
    auto compared = compareTensorValues(*a.value(), ta, *b.value(), tb, Progress{}, nullptr, 0);
    QVERIFY2(!compared.ok(), "values compared against a truncated file");
    QCOMPARE(compared.error().status, Status::FileChanged);
}

void TestFileChanged::unchangedFileStillExports()
{
    const std::string input = freshCopy("steady.pt");
    auto loaded = loadCheckpoint(input);
    QVERIFY(loaded.ok());
    auto exported = Exporter(loaded.value(), ExportOptions{}).run(m_dir.filePath("out.pt").toStdString());
    QVERIFY2(exported.ok(), exported.ok() ? "" : exported.error().detail.c_str());
}

void TestFileChanged::fifoIsRefusedAtOnce()
{
    const QString fifo = m_dir.filePath("pipe.pt");
    QCOMPARE(::mkfifo(fifo.toLocal8Bit().constData(), 0600), 0);
    QElapsedTimer timer;
    timer.start();
    auto loaded = loadCheckpoint(fifo.toStdString()); // nobody writes: a blocking open() would never return
    QVERIFY(!loaded.ok());
    QVERIFY2(loaded.error().detail.find("FIFO") != std::string::npos, loaded.error().detail.c_str());
    QVERIFY(timer.elapsed() < 5000);
    exporttest::Run run = exporttest::ckpt({"info", fifo}, 10000);
    QCOMPARE(run.exitCode, 1);
    QVERIFY2(run.err.contains("FIFO"), run.err.constData());
}

QTEST_GUILESS_MAIN(TestFileChanged)
#include "tst_filechanged.moc"
