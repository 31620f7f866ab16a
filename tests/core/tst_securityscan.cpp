// The global allowlist (issue 12, item 6): exact classes, never module prefixes. The oracle is real Python: it
// imports every module under the library trees and lists which names there are functions and which are
// classes; a function must never be rated safe (a re-exported load_state_dict_from_url downloads and
// torch.loads), a library class must be. Plain-data enums of dangerous modules (signal.Signals, in a real
// Megatron-LM checkpoint) are safe while the module's functions stay dangerous. On the wild corpus
// (../shared/corpus/wild/files), no file that real torch.load(weights_only=False) opens is rated dangerous.
#include <QTest>

#include <QDir>
#include <QFileInfo>

#include <string>

#include "core/analysis/securityscan.h"
#include "core/format/loader.h"
#include "support/exportsupport.h"
#include "support/hostilesupport.h"

using namespace ckpt;

namespace
{

const char* kTrees = "['torch.nn.modules', 'torch.nn.utils.parametrize', 'torch.nn.quantized', 'torch.nn.intrinsic', "
                     "'torch.ao.nn', 'torchvision.models', 'torchvision.ops']";

QString wildDir()
{
    return QString::fromStdString(std::string(CKPT_SOURCE_DIR) + "/../shared/corpus/wild/files");
}

} // namespace

class TestSecurityScan : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void libraryFunctionsAreNeverSafe();
    void libraryClassesAreSafe();
    void harmlessEnumsOfDangerousModules();
    void megatronCheckpointIsNotAnAlarm();
    void noFalseAlarmOnTheWildCorpus();

private:
    // "module name" lines printed by real Python for every attribute of the trees' modules that `test` accepts.
    QStringList listFromPython(const QString& test);
    test::PayloadSandbox m_sandbox;
};

void TestSecurityScan::initTestCase()
{
    QString why;
    QVERIFY2(m_sandbox.create(nlohmann::json::object(), &why), qPrintable(why));
    QVERIFY(m_sandbox.enter());
}

void TestSecurityScan::cleanupTestCase()
{
    m_sandbox.leave();
}

QStringList TestSecurityScan::listFromPython(const QString& test)
{
    exporttest::Run run =
        exporttest::python(QString("import importlib, inspect, pkgutil, warnings\n"
                                   "warnings.simplefilter('ignore')\n"
                                   "def walk(tree):\n"
                                   "    root = importlib.import_module(tree)\n"
                                   "    yield tree, root\n"
                                   "    for info in pkgutil.walk_packages(getattr(root, '__path__', []), tree + '.'):\n"
                                   "        try: yield info.name, importlib.import_module(info.name)\n"
                                   "        except Exception: pass\n"
                                   "for tree in %1:\n"
                                   "    for name, module in walk(tree):\n"
                                   "        for attr, value in vars(module).items():\n"
                                   "            if %2: print(name, attr)\n")
                               .arg(QString::fromLatin1(kTrees), test));
    if (run.exitCode != 0) qWarning("%s", run.err.constData());
    return QString::fromUtf8(run.out).split('\n', Qt::SkipEmptyParts);
}

void TestSecurityScan::libraryFunctionsAreNeverSafe()
{
    // Python functions and builtins (torch's C functions re-exported into the modules).
    QStringList functions = listFromPython("inspect.isfunction(value) or inspect.isbuiltin(value)");
    QVERIFY2(functions.size() > 500, "python listed too few functions: is torch installed?");
    // torch.hub's downloader, re-exported where the weights enums use it (torchvision 0.14).
    QVERIFY(functions.contains("torchvision.models._api load_state_dict_from_url"));
    QStringList safe;
    for (const QString& line : functions) {
        QStringList parts = line.split(' ');
        if (classifyGlobal(parts[0].toStdString(), parts[1].toStdString()) == Severity::Safe) safe << line;
    }
    QVERIFY2(safe.isEmpty(), qPrintable("functions rated safe: " + safe.mid(0, 20).join(", ")));
}

void TestSecurityScan::libraryClassesAreSafe()
{
    QStringList classes = listFromPython("inspect.isclass(value) and getattr(value, '__module__', '').startswith(("
                                         "'torch.nn', 'torch.ao.nn', 'torchvision.models', 'torchvision.ops'))");
    QVERIFY(classes.size() > 500);
    QVERIFY(classes.contains("torch.nn.modules.linear Linear"));
    QStringList notSafe;
    for (const QString& line : classes) {
        QStringList parts = line.split(' ');
        if (classifyGlobal(parts[0].toStdString(), parts[1].toStdString()) != Severity::Safe) notSafe << line;
    }
    QVERIFY2(notSafe.isEmpty(), qPrintable("classes not rated safe: " + notSafe.mid(0, 20).join(", ")));
}

void TestSecurityScan::harmlessEnumsOfDangerousModules()
{
    QCOMPARE(classifyGlobal("signal", "Signals"), Severity::Safe);
    QCOMPARE(classifyGlobal("pathlib", "PosixPath"), Severity::Safe);
    for (auto [module, name] : {std::pair<const char*, const char*>{"signal", "signal"},
                                {"signal", "pthread_kill"},
                                {"os", "system"},
                                {"posix", "system"},
                                {"subprocess", "Popen"},
                                {"builtins", "eval"},
                                {"builtins", "exec"},
                                {"builtins", "getattr"},
                                {"pathlib", "Path.write_text"},
                                {"torch.storage", "_load_from_bytes.__globals__"},
                                {"pickle", "loads"},
                                {"numpy", "load"},
                                {"torchvision.models._api", "load_state_dict_from_url"},
                                {"torch.distributed.checkpoint.metadata", "os"},
                                {"torch.distributed.checkpoint.filesystem", "FileSystemReader"},
                                {"torch.distributed.checkpoint", "load_state_dict"}})
        QVERIFY2(classifyGlobal(module, name) != Severity::Safe, (std::string(module) + "." + name).c_str());
    for (auto [module, name] : {std::pair<const char*, const char*>{"signal", "signal"},
                                {"os", "system"},
                                {"subprocess", "Popen"},
                                {"builtins", "eval"},
                                {"builtins", "exec"},
                                {"builtins", "getattr"},
                                {"numpy", "load"},
                                {"torch.distributed.checkpoint", "load"},
                                {"torch.distributed._shard.checkpoint", "load_state_dict"}})
        QVERIFY2(classifyGlobal(module, name) == Severity::Dangerous, (std::string(module) + "." + name).c_str());
}

void TestSecurityScan::megatronCheckpointIsNotAnAlarm()
{
    const QString file =
        wildDir() + "/NVIDIA__Megatron-LM__deepseek_mtp_dummy_ckpt__checkpoints__iter_0000001__common.pt";
    if (!QDir(wildDir()).exists()) QSKIP("../shared/corpus/wild is absent");
    exporttest::Run run = exporttest::ckpt({"scan", file});
    QVERIFY2(run.exitCode == 0, (run.out + run.err).constData());
    QVERIFY(run.out.contains("signal.Signals"));
}

void TestSecurityScan::noFalseAlarmOnTheWildCorpus()
{
    if (!QDir(wildDir()).exists()) QSKIP("../shared/corpus/wild is absent");
    QStringList files;
    for (const QFileInfo& info : QDir(wildDir()).entryInfoList(QDir::Files, QDir::Name))
        files << info.absoluteFilePath();
    QVERIFY(files.size() >= 30);
    // Which files real torch opens with the full unpickler (these are public files, loaded in the sandbox).
    exporttest::Run run = exporttest::python("import sys, torch, warnings\n"
                                             "warnings.simplefilter('ignore')\n"
                                             "for path in sys.argv[1:]:\n"
                                             "    try:\n"
                                             "        torch.load(path, map_location='cpu')\n"
                                             "        print(path)\n"
                                             "    except Exception:\n"
                                             "        pass\n",
                                             files);
    QVERIFY2(run.exitCode == 0, run.err.constData());
    QStringList loadable = QString::fromUtf8(run.out).split('\n', Qt::SkipEmptyParts);
    QVERIFY2(loadable.size() >= 10, qPrintable(loadable.join(", ")));
    QVERIFY2(m_sandbox.traces().isEmpty(), qPrintable(m_sandbox.traces()));
    QStringList alarms;
    for (const QString& path : loadable) {
        auto loaded = loadCheckpoint(path.toStdString());
        if (loaded && loaded.value()->verdict() == Severity::Dangerous) alarms << QFileInfo(path).fileName();
    }
    QVERIFY2(alarms.isEmpty(), qPrintable("false alarms: " + alarms.join(", ")));
}

QTEST_GUILESS_MAIN(TestSecurityScan)
#include "tst_securityscan.moc"
