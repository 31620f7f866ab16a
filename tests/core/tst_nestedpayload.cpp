// Payloads inside the bytes a loader call is given (issue 12, item 5): torch.storage._load_from_bytes is
// torch.load of the bytes beside it, pickle.loads unpickles them. The inputs (tests/hostile/nested, made by real
// torch.save / pickle.dumps, see make_nested.py) are first proven real: real torch.load (or pickle.load) of each
// hostile original creates its sentinel. Then the engine must rate them dangerous, name the inner globals with
// where they sit, refuse a plain export, and an export with dropDangerous must write a file that real torch.load
// opens with the weights intact and without running anything. Clean files with the same call stay clean.
#include <QTest>

#include <QDir>
#include <QFile>

#include <string>

#include "core/edit/exporter.h"
#include "core/format/loader.h"
#include "support/exportsupport.h"
#include "support/hostilesupport.h"

using namespace ckpt;
using nlohmann::json;

Q_DECLARE_METATYPE(std::string)

namespace
{

QString nestedPath(const json& entry)
{
    return QString::fromStdString(test::hostileDir() + "/nested/" + entry["file"].get<std::string>());
}

} // namespace

class TestNestedPayload : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void realLoadRunsThePayload();
    void scanSeesInsideThePayload_data() { addRows(); }
    void scanSeesInsideThePayload();
    void cliScanExitCode_data() { addRows(); }
    void cliScanExitCode();
    void exportDropsTheCallAndNothingRuns_data() { addRows(); }
    void exportDropsTheCallAndNothingRuns();
    void torchLoadsEveryOutputAndNothingRan();

private:
    void addRows();

    test::PayloadSandbox m_sandbox;
    json m_manifest;
    QStringList m_written; // output, "clean" or "dropped": for the one torch.load pass at the end
};

void TestNestedPayload::initTestCase()
{
    m_manifest = test::hostileManifest("nested");
    QVERIFY2(m_manifest.contains("nested"), "tests/hostile/nested/manifest.json is missing");
    QString why;
    QVERIFY2(m_sandbox.create(json::object(), &why), qPrintable(why));
    QVERIFY(m_sandbox.enter());
}

void TestNestedPayload::cleanupTestCase()
{
    m_sandbox.leave();
}

void TestNestedPayload::addRows()
{
    QTest::addColumn<std::string>("entry");
    for (const json& entry : m_manifest["nested"])
        QTest::newRow(entry["file"].get<std::string>().c_str()) << entry.dump();
}

void TestNestedPayload::realLoadRunsThePayload()
{
    // One python for every file (importing torch is the slow part): after each load it reports whether that
    // file's sentinel appeared, and removes it. The load may raise after the payload ran (torch.load of a raw
    // pickle checks the magic number afterwards).
    QStringList args{m_sandbox.path("env")};
    for (const json& e : m_manifest["nested"])
        args << nestedPath(e) << QString::fromStdString(e["container"].get<std::string>())
             << QString::fromStdString(e["sentinel"].is_string() ? e["sentinel"].get<std::string>() : "-");
    exporttest::Run run =
        exporttest::python("import os, sys, pickle, torch\n"
                           "env = sys.argv[1]\n"
                           "rest = sys.argv[2:]\n"
                           "for path, container, sentinel in zip(rest[::3], rest[1::3], rest[2::3]):\n"
                           "    try:\n"
                           "        if container == 'pickle': pickle.load(open(path, 'rb'))\n"
                           "        else: torch.load(path)\n"
                           "    except Exception:\n"
                           "        pass\n"
                           "    made = sorted(os.listdir(env))\n"
                           "    for name in made: os.remove(os.path.join(env, name))\n"
                           "    print(os.path.basename(path), ','.join(made) or '-')\n",
                           args);
    QVERIFY2(run.exitCode == 0, run.err.constData());
    const QStringList lines = QString::fromUtf8(run.out).split('\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), int(m_manifest["nested"].size()));
    int i = 0;
    for (const json& e : m_manifest["nested"]) {
        const QString expected =
            QString::fromStdString(e["file"].get<std::string>()) + " " +
            QString::fromStdString(e["sentinel"].is_string() ? e["sentinel"].get<std::string>() : "-");
        // A hostile input whose payload does not run in real torch would be no test at all.
        QCOMPARE(lines[i++], expected);
    }
}

void TestNestedPayload::scanSeesInsideThePayload()
{
    QFETCH(std::string, entry);
    json e = json::parse(entry);
    auto loaded = loadCheckpoint(nestedPath(e).toStdString());
    QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().detail.c_str());
    const Checkpoint& doc = *loaded.value();
    const bool dangerous = e["dangerous"].get<bool>();
    QCOMPARE(doc.verdict() == Severity::Dangerous, dangerous);
    // Every file here calls a loader on bytes; when the bytes could be read, what they import is listed with
    // where it sits.
    bool sawInside = false;
    for (const GlobalRef& ref : doc.globals)
        sawInside = sawInside || !ref.via.empty();
    const bool unreadable = e["file"] == "lfb_computed_bytes.pt";
    QCOMPARE(sawInside, !unreadable);
    for (const json& inner : e["inner"]) {
        bool found = false;
        for (const GlobalRef& ref : doc.globals)
            if (ref.module + "." + ref.name == inner.get<std::string>() && !ref.via.empty() &&
                ref.severity == Severity::Dangerous) {
                found = true;
                QVERIFY2(ref.via.find("in the bytes given to ") == 0, ref.via.c_str());
            }
        QVERIFY2(found, inner.get<std::string>().c_str());
    }
    // _load_from_bytes itself is not the danger: its payload is. A dangerous payload marks the call.
    bool lfbCall = false;
    for (const DangerousCall& call : doc.dangerousCalls)
        lfbCall = lfbCall || call.loader->isGlobal("torch.storage", "_load_from_bytes");
    QCOMPARE(lfbCall, dangerous && e["file"] != "pickle_loads_payload.pt");
}

void TestNestedPayload::cliScanExitCode()
{
    QFETCH(std::string, entry);
    json e = json::parse(entry);
    exporttest::Run run = exporttest::ckpt({"scan", nestedPath(e)});
    QCOMPARE(run.exitCode, e["dangerous"].get<bool>() ? 3 : 0);
    if (e["dangerous"].get<bool>()) QVERIFY2(run.out.contains("DANGEROUS"), run.out.constData());
}

void TestNestedPayload::exportDropsTheCallAndNothingRuns()
{
    QFETCH(std::string, entry);
    json e = json::parse(entry);
    if (e["weights"].empty()) QSKIP("a plain pickle without weights: nothing to export");
    auto loaded = loadCheckpoint(nestedPath(e).toStdString());
    QVERIFY(loaded.ok());
    const QString output = m_sandbox.path("out/" + QString::fromStdString(e["file"].get<std::string>()));
    QFile::remove(output);
    ExportOptions options;
    auto refused = Exporter(loaded.value(), options).run(output.toStdString());
    QCOMPARE(refused.ok(), !e["dangerous"].get<bool>());
    if (!refused.ok())
        QVERIFY2(refused.error().detail.find("--drop-dangerous") != std::string::npos, refused.error().detail.c_str());
    QFile::remove(output);
    options.dropDangerous = true;
    auto report = Exporter(loaded.value(), options).run(output.toStdString());
    QVERIFY2(report.ok(), report.ok() ? "" : report.error().detail.c_str());
    QCOMPARE(report.value().dropped.empty(), !e["dangerous"].get<bool>());
    // The engine's own view of the output now; real torch's for all outputs at once at the end.
    auto written = loadCheckpoint(output.toStdString());
    QVERIFY(written.ok());
    QVERIFY(written.value()->verdict() != Severity::Dangerous);
    m_written << output << (e["dangerous"].get<bool>() ? "dropped" : "clean");
}

void TestNestedPayload::torchLoadsEveryOutputAndNothingRan()
{
    QVERIFY(m_written.size() >= 16);
    exporttest::Run run =
        exporttest::python("import sys, torch\n"
                           "for path, kind in zip(sys.argv[1::2], sys.argv[2::2]):\n"
                           "    c = torch.load(path)\n"
                           "    assert torch.equal(c['model']['w'], torch.arange(6.).reshape(2, 3)), path\n"
                           "    assert torch.equal(c['model']['b'], torch.arange(3.)), path\n"
                           "    if kind == 'clean': assert list(c['extra']) == [0., 1., 2., 3.], (path, c['extra'])\n"
                           "    else: assert 'extra' not in c or c['extra'] is None, (path, c)\n",
                           m_written);
    QVERIFY2(run.exitCode == 0, (run.out + run.err).constData());
    QVERIFY2(m_sandbox.traces().isEmpty(), qPrintable(m_sandbox.traces()));
}

QTEST_GUILESS_MAIN(TestNestedPayload)
#include "tst_nestedpayload.moc"
