// Crash-safe export (issue 8): the real `ckpt export` process is SIGKILLed at several points of writing a ~300 MB
// state dict (as soon as its temporary file appears, at fractions of the final size, once the bytes are all written
// and it is syncing or verifying, and right as the target name appears). After each kill the target name either
// does not exist or holds a complete file that verifies (our loader: every tensor's dtype, shape and bytes; real
// torch.load once), the input's bytes are unchanged, and anything left behind is the exporter's temporary file.
#include <QTest>

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>

#include <map>
#include <string>

#include <xxhash.h>

#include "core/edit/exportverifier.h"
#include "core/format/loader.h"
#include "support/exportsupport.h"

using namespace ckpt;

namespace
{

// 24 tensors of 1536 x 2048 float32: 302 MB, enough for the write to take a while on any disk.
const char* kMakeInput = "import sys, collections, torch\n"
                         "torch.manual_seed(0)\n"
                         "sd = collections.OrderedDict(('layers.%d.weight' % i, torch.randn(1536, 2048))"
                         " for i in range(24))\n"
                         "torch.save(sd, sys.argv[1])\n";

uint64_t fileHash(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) return 0;
    const uchar* bytes = file.map(0, file.size());
    return bytes ? XXH3_64bits(bytes, static_cast<size_t>(file.size())) : 0;
}

std::map<std::string, TensorSignature> signatures(const Checkpoint& checkpoint)
{
    std::map<std::string, TensorSignature> byPath;
    for (size_t i = 0; i < checkpoint.tensors.size(); ++i)
        byPath[pathToString(checkpoint.tensors[i].path)] = tensorSignature(checkpoint, static_cast<int>(i));
    return byPath;
}

// AtomicFile's name for the file being written: "." + target name + ".ckpt-" + mkstemp's six characters.
QString temporaryPattern(const QString& target)
{
    return "^" + QRegularExpression::escape("." + QFileInfo(target).fileName() + ".ckpt-") + "[A-Za-z0-9]{6}$";
}

QString findTemporary(const QString& dir, const QString& target)
{
    const QStringList found = QDir(dir).entryList({"." + QFileInfo(target).fileName() + ".ckpt-*"},
                                                  QDir::Files | QDir::Hidden | QDir::System);
    return found.isEmpty() ? QString() : QDir(dir).filePath(found.first());
}

struct Kill {
    QString what;
    qint64 sizeAtKill = -1; // the temporary file's size when the kill was decided (-1: not there)
    bool killed = false;    // false: the export finished before the kill
    bool targetExists = false;
    QStringList leftovers; // "name (bytes)"
    qint64 elapsedMs = 0;
};

} // namespace

class TestCliExportKill : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void referenceExportCompletes();
    void killedWhileWriting_data();
    void killedWhileWriting();
    void killedAsTheTargetAppears();
    void exportAfterKillsCompletesBesideTheirLeftovers();
    void cleanupTestCase();

private:
    // Starts an export to `target` and SIGKILLs it when `due(temporary size, target exists)` says so.
    template <typename Due> Kill runAndKill(const QString& what, const QString& target, Due due);
    void checkAfterKill(const Kill& kill, const QString& target);
    void verifyComplete(const QString& path);
    void removeOutputs(const QString& target);

    QTemporaryDir m_dir;
    QString m_input;
    QString m_target;
    uint64_t m_inputHash = 0;
    std::map<std::string, TensorSignature> m_inputTensors;
    qint64 m_finalSize = 0;
    QElapsedTimer m_clock;
    QStringList m_summary;
};

void TestCliExportKill::initTestCase()
{
    m_clock.start();
    QVERIFY(m_dir.isValid());
    m_input = m_dir.filePath("input.pth");
    m_target = m_dir.filePath("output.pth");
    exporttest::Run made = exporttest::python(kMakeInput, {m_input});
    // torch is a test dependency (the oracle): without it the test cannot show anything, so it fails.
    QVERIFY2(made.exitCode == 0, qPrintable("cannot make the input with torch: " + made.err));
    m_inputHash = fileHash(m_input);
    QVERIFY(m_inputHash != 0);
    auto input = loadCheckpoint(m_input.toStdString());
    QVERIFY(input.ok());
    m_inputTensors = signatures(*input.value());
    QCOMPARE(m_inputTensors.size(), size_t(24));
    m_summary << QString("input %1 bytes, made in %2 ms").arg(QFileInfo(m_input).size()).arg(m_clock.elapsed());
}

void TestCliExportKill::verifyComplete(const QString& path)
{
    auto written = loadCheckpoint(path.toStdString());
    QVERIFY2(written.ok(), written.ok() ? "" : written.error().detail.c_str());
    QVERIFY(signatures(*written.value()) == m_inputTensors);
}

void TestCliExportKill::referenceExportCompletes()
{
    // Every run writes to the same name: the zip's folder is named after the file, so the size depends on it.
    QString target = m_target;
    QElapsedTimer timer;
    timer.start();
    exporttest::Run run = exporttest::ckpt({"export", m_input, target});
    QVERIFY2(run.exitCode == 0, run.err.constData());
    m_finalSize = QFileInfo(target).size();
    m_summary << QString("complete export: %1 bytes in %2 ms").arg(m_finalSize).arg(timer.elapsed());
    verifyComplete(target);
    removeOutputs(target);
}

template <typename Due> Kill TestCliExportKill::runAndKill(const QString& what, const QString& target, Due due)
{
    Kill kill;
    kill.what = what;
    QElapsedTimer timer;
    timer.start();
    QProcess process;
    process.start(QStringLiteral(CKPT_EXE), {"export", m_input, target});
    if (!process.waitForStarted(30000)) return kill;
    // Poll about every millisecond (waitForFinished is the sleep, so a finished export ends the loop at once).
    while (!process.waitForFinished(1)) {
        QString temporary = findTemporary(m_dir.path(), target);
        qint64 size = temporary.isEmpty() ? -1 : QFileInfo(temporary).size();
        if (due(size, QFileInfo::exists(target))) {
            process.kill(); // SIGKILL: no destructor, no cleanup, as if the machine's OOM killer struck
            kill.killed = true;
            kill.sizeAtKill = size;
            break;
        }
        if (timer.elapsed() > 60000) break;
    }
    process.waitForFinished(30000);
    kill.elapsedMs = timer.elapsed();
    if (!kill.killed && process.exitCode() != 0) qWarning("export failed: %s", process.readAllStandardError().data());
    return kill;
}

void TestCliExportKill::checkAfterKill(const Kill& kill, const QString& target)
{
    // The input is never written, killed or not.
    QCOMPARE(fileHash(m_input), m_inputHash);
    // The target is absent or complete: the rename is the only step that creates it.
    Kill outcome = kill;
    outcome.targetExists = QFileInfo::exists(target);
    if (outcome.targetExists) verifyComplete(target);
    // A SIGKILLed process cannot remove its temporary file; whatever is left must be that file, by name, so a user
    // (or a later export, which never reuses a name) can tell it apart.
    const QRegularExpression temporary(temporaryPattern(target));
    const QStringList known = {"input.pth", QFileInfo(target).fileName()};
    for (const QFileInfo& entry :
         QDir(m_dir.path()).entryInfoList(QDir::NoDotAndDotDot | QDir::AllEntries | QDir::Hidden | QDir::System)) {
        if (known.contains(entry.fileName())) continue;
        QVERIFY2(temporary.match(entry.fileName()).hasMatch(), qPrintable("unexpected file left: " + entry.fileName()));
        outcome.leftovers << QString("%1 (%2 bytes)").arg(entry.fileName()).arg(entry.size());
    }
    if (!outcome.killed) QVERIFY2(outcome.targetExists, "an export that was not killed wrote no file");
    m_summary << QString("%1: %2 at temp size %3, target %4, left: %5 (%6 ms)")
                     .arg(outcome.what, outcome.killed ? "killed" : "finished first")
                     .arg(outcome.sizeAtKill)
                     .arg(outcome.targetExists ? "complete" : "absent",
                          outcome.leftovers.isEmpty() ? "nothing" : outcome.leftovers.join(", "))
                     .arg(outcome.elapsedMs);
}

void TestCliExportKill::killedWhileWriting_data()
{
    QTest::addColumn<double>("fraction");
    // 0: as soon as the temporary file exists; 1: every byte written, the process syncing or verifying.
    for (double fraction : {0.0, 0.05, 0.3, 0.6, 0.9, 1.0})
        QTest::newRow(qPrintable(QString("at %1 of the size").arg(fraction))) << fraction;
}

void TestCliExportKill::killedWhileWriting()
{
    QFETCH(double, fraction);
    QVERIFY(m_finalSize > 0);
    QString target = m_target;
    qint64 threshold = static_cast<qint64>(fraction * static_cast<double>(m_finalSize));
    Kill kill = runAndKill(QString("kill at %1").arg(fraction), target,
                           [threshold](qint64 size, bool) { return size >= 0 && size >= threshold; });
    checkAfterKill(kill, target);
    removeOutputs(target);
}

void TestCliExportKill::removeOutputs(const QString& target)
{
    // What a kill left is removed, so the next kill starts clean and blames only its own leftovers.
    QString name = QFileInfo(target).fileName();
    for (const QString& file : QDir(m_dir.path()).entryList({"." + name + ".ckpt-*", name}, QDir::Files | QDir::Hidden))
        QFile::remove(m_dir.filePath(file));
}

void TestCliExportKill::killedAsTheTargetAppears()
{
    QString target = m_target;
    bool sawTemporary = false;
    Kill kill = runAndKill("kill at the rename", target, [&sawTemporary](qint64 size, bool targetExists) {
        sawTemporary = sawTemporary || size >= 0;
        return targetExists || (sawTemporary && size < 0); // the temporary name just went away: renamed
    });
    checkAfterKill(kill, target);
    QVERIFY2(QFileInfo::exists(target), "the kill at the rename came before it (the target is absent)");
    // The one check by real PyTorch: the file a killed export left under the target name loads.
    exporttest::Run run =
        exporttest::python("import sys, torch\nsd = torch.load(sys.argv[1]); ref = torch.load(sys.argv[2])\n"
                           "assert list(sd) == list(ref) and all(torch.equal(sd[k], ref[k]) for k in sd)\n",
                           {target, m_input});
    QVERIFY2(run.exitCode == 0, run.err.constData());
    removeOutputs(target);
}

void TestCliExportKill::exportAfterKillsCompletesBesideTheirLeftovers()
{
    // Leave a dead export's temporary file in place: the next export picks another name and completes.
    QString target = m_target;
    Kill kill =
        runAndKill("kill before a rerun", target, [this](qint64 size, bool) { return size >= m_finalSize / 2; });
    QString leftover = findTemporary(m_dir.path(), target);
    exporttest::Run run = exporttest::ckpt({"export", m_input, target});
    QVERIFY2(run.exitCode == 0, run.err.constData());
    verifyComplete(target);
    if (kill.killed) QVERIFY2(QFileInfo::exists(leftover), "the rerun touched the dead export's file");
    QCOMPARE(fileHash(m_input), m_inputHash);
}

void TestCliExportKill::cleanupTestCase()
{
    m_summary << QString("total %1 ms").arg(m_clock.elapsed());
    for (const QString& line : m_summary)
        qInfo("%s", qPrintable(line));
}

QTEST_GUILESS_MAIN(TestCliExportKill)
#include "tst_cli_exportkill.moc"
