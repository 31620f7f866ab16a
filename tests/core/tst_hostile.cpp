// Every file of the hostile corpus (tests/hostile/corpus) opens without running anything, and every dangerous
// global it would import is reported as Severity::Dangerous. The payloads are real (tests/hostile/prove_payloads.py
// shows Python runs them). The engine has no interpreter, so "nothing ran" is not checked here, where it could not
// fail; it is proven where it can: every file an export writes goes through real torch.load with sentinels
// (tst_exportdrop, tst_nestedpayload).
#include <QTest>

#include <QDir>
#include <QTemporaryDir>

#include <set>
#include <string>

#include "core/format/loader.h"
#include "support/hostilesupport.h"

using namespace ckpt;
using nlohmann::json;

Q_DECLARE_METATYPE(std::string)

class TestHostile : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void corpusIsComplete();
    void reportsDangerousGlobals_data();
    void reportsDangerousGlobals();

private:
    test::PayloadSandbox m_sandbox;
    json m_manifest;
};

void TestHostile::initTestCase()
{
    m_manifest = test::hostileManifest("corpus");
    QVERIFY2(m_manifest.contains("hostile"), "tests/hostile/corpus/manifest.json is missing");
    QString why;
    QVERIFY2(m_sandbox.create(m_manifest, &why), qPrintable(why));
    QVERIFY(m_sandbox.enter());
}

void TestHostile::cleanupTestCase()
{
    m_sandbox.leave();
}

void TestHostile::corpusIsComplete()
{
    // Issue 8's list: each callable appears in at least one file, and each calling opcode is used.
    std::set<std::string> dangerous;
    for (const json& entry : m_manifest["hostile"])
        for (const json& name : entry["dangerous"])
            dangerous.insert(name.get<std::string>());
    for (const char* name :
         {"os.system", "posix.system", "subprocess.Popen", "subprocess.check_output", "builtins.eval", "builtins.exec",
          "builtins.compile", "builtins.getattr", "builtins.__import__", "builtins.open", "runpy._run_code",
          "webbrowser.open", "pty.spawn", "shutil.rmtree"})
        QVERIFY2(dangerous.count(name), name);
    std::set<std::string> files;
    for (const json& entry : m_manifest["hostile"])
        files.insert(entry["file"].get<std::string>());
    for (const char* file :
         {"inst_os_system.pkl", "obj_posix_system.pkl", "newobj_subprocess_popen.pkl", "newobj_ex_subprocess_popen.pkl",
          "build_setstate_os_system.pkl", "stack_global_memo_os_system.pkl", "zip_payload_in_rebuild_args.pth",
          "zip_payload_in_metadata.pth", "zip_second_folder_first.pth", "legacy_payload_after_storages.pt"})
        QVERIFY2(files.count(file), file);
}

void TestHostile::reportsDangerousGlobals_data()
{
    QTest::addColumn<std::string>("entry");
    for (const json& entry : m_manifest["hostile"])
        QTest::newRow(entry["file"].get<std::string>().c_str()) << entry.dump();
}

void TestHostile::reportsDangerousGlobals()
{
    QFETCH(std::string, entry);
    const json e = json::parse(entry);
    const std::string path = test::hostileDir() + "/corpus/" + e["file"].get<std::string>();
    auto loaded = loadCheckpoint(path);
    if (!loaded) {
        // Only files torch itself refuses may be refused, and then with a reason.
        QVERIFY2(e["may_refuse"].get<bool>(), loaded.error().describe(path).c_str());
        QVERIFY(!loaded.error().detail.empty());
        return;
    }
    const Checkpoint& doc = *loaded.value();
    auto severityOf = [&doc](const std::string& qualified) -> int {
        for (const GlobalRef& g : doc.globals)
            if (g.module + "." + g.name == qualified) return static_cast<int>(g.severity);
        return -1;
    };
    std::string seen;
    for (const GlobalRef& g : doc.globals)
        seen += " " + g.module + "." + g.name + "=" + severityName(g.severity);
    for (const json& name : e["dangerous"]) {
        const std::string qualified = name.get<std::string>();
        const int severity = severityOf(qualified);
        QVERIFY2(severity >= 0, ("not reported: " + qualified + "; globals:" + seen).c_str());
        QVERIFY2(severity == static_cast<int>(Severity::Dangerous),
                 ("not dangerous: " + qualified + "; globals:" + seen).c_str());
    }
    for (const json& name : e["not_safe"]) {
        const int severity = severityOf(name.get<std::string>());
        QVERIFY2(severity >= 0 && severity != static_cast<int>(Severity::Safe), name.get<std::string>().c_str());
    }
    QCOMPARE(doc.verdict(), Severity::Dangerous);
    bool dangerousFinding = false;
    for (const Finding& f : doc.findings)
        dangerousFinding = dangerousFinding || f.severity == Severity::Dangerous;
    QVERIFY2(dangerousFinding, "no Dangerous finding for the export step and the findings panel to show");
}

QTEST_GUILESS_MAIN(TestHostile)
#include "tst_hostile.moc"
