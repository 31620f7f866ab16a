// A TorchScript file chosen as the architecture (issue 12, item 7): torch::jit::load compiles and runs the archive's
// code, so `ckpt match/export --against scripted.pt` must read it with the core's own reader. The proof that can
// fail: under LD_DEBUG=files the dynamic loader names every library it opens, and no LibTorch library may appear
// (before the fix the tensor module, and with it libtorch_cpu, was loaded to import the archive). The answer is
// checked against real torch: every key of the module's state_dict() matches.
#include <QTest>

#include <QTemporaryDir>

#include <nlohmann/json.hpp>

#include "support/exportsupport.h"
#include "support/hostilesupport.h"

using namespace ckpt;

class TestCliTorchScriptArch : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void matchAgainstScriptedLoadsNoLibTorch();
    void exportAgainstScriptedLoadsNoLibTorch();

private:
    test::ChildResult run(const QStringList& args);
    QTemporaryDir m_dir;
    int m_keys = 0;
};

void TestCliTorchScriptArch::initTestCase()
{
    QVERIFY(m_dir.isValid());
    exporttest::Run made = exporttest::python(
        "import sys, torch\n"
        "m = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2))\n"
        "torch.jit.script(m).save(sys.argv[1])\n"
        "torch.save(m.state_dict(), sys.argv[2])\n"
        "print(len(m.state_dict()))\n",
        {m_dir.filePath("scripted.pt"), m_dir.filePath("weights.pt")});
    QVERIFY2(made.exitCode == 0, made.err.constData());
    m_keys = made.out.trimmed().toInt();
    QVERIFY(m_keys == 9); // 2 + 5 (BatchNorm: weight, bias, running mean/var, batches) + 2
}

test::ChildResult TestCliTorchScriptArch::run(const QStringList& args)
{
    return test::runCapped(QStringLiteral(CKPT_EXE), args, 0, 60000, m_dir.path(), {"LD_DEBUG=files"});
}

void TestCliTorchScriptArch::matchAgainstScriptedLoadsNoLibTorch()
{
    test::ChildResult result =
        run({"match", m_dir.filePath("weights.pt"), "--against", m_dir.filePath("scripted.pt"), "--json"});
    QVERIFY2(result.exitCode == 0, result.err.right(2000).constData());
    QVERIFY2(result.err.contains("file="), "LD_DEBUG printed nothing: the check would prove nothing");
    QVERIFY2(!result.err.contains("libtorch"), "a LibTorch library was loaded");
    QVERIFY2(!result.err.contains("ckpttensor"), "the tensor module was loaded");
    // stdout holds only the JSON (LD_DEBUG writes to stderr).
    nlohmann::json report = nlohmann::json::parse(result.out.toStdString());
    QCOMPARE(report["summary"]["arch_keys"].get<int>(), m_keys);
    QCOMPARE(report["summary"]["ok"].get<int>(), m_keys);
}

void TestCliTorchScriptArch::exportAgainstScriptedLoadsNoLibTorch()
{
    test::ChildResult result = run(
        {"export", m_dir.filePath("weights.pt"), m_dir.filePath("out.pt"), "--against", m_dir.filePath("scripted.pt")});
    QVERIFY2(result.exitCode == 0, result.err.right(2000).constData());
    QVERIFY(result.err.contains("file="));
    QVERIFY2(!result.err.contains("libtorch"), "a LibTorch library was loaded");
}

QTEST_GUILESS_MAIN(TestCliTorchScriptArch)
#include "tst_cli_torchscriptarch.moc"
