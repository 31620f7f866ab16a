// ckpt info | tree | scan against the CLI contract in docs/product.md, on files made by real PyTorch.
#include <QFloat16> // QCOMPARE of nlohmann::json values tries qCompare(qfloat16, ...): it needs the whole type
#include <QTest>

#include <nlohmann/json.hpp>

#include "support/fixturetruth.h"
#include "support/runprocess.h"

using namespace ckpt::test;
using nlohmann::json;

namespace
{

QString fixture(const char* file)
{
    return QString::fromStdString(fixturePath(file));
}

json parse(const ProcessResult& result)
{
    return json::parse(result.out.toStdString(), nullptr, false);
}

} // namespace

class TestCliInspect : public QObject
{
    Q_OBJECT

private slots:
    void infoDescribesDataParallelStateDict()
    {
        ProcessResult r = runCkpt({"info", "--json", fixture("resnet18_dp.pth")});
        QCOMPARE(r.exitCode, 0);
        json info = parse(r);
        QCOMPARE(info["format"].get<std::string>(), std::string("torch-zip"));
        QCOMPARE(info["kind"].get<std::string>(), std::string("state_dict"));
        QCOMPARE(info["tensors"].get<int>(), 122);
        QCOMPARE(info["parameters"].get<uint64_t>(), uint64_t(11699132)); // resnet18 state_dict numel, incl. buffers
        QCOMPARE(info["wrapper_prefixes"], json::array({"module."}));
        QCOMPARE(info["security"]["verdict"].get<std::string>(), std::string("safe"));
        QCOMPARE(info["locations"]["cpu"].get<int>(), 122);
    }

    void infoShowsCudaLocationsVerbatim()
    {
        ProcessResult r = runCkpt({"info", "--json", fixture("cuda_tagged.pth")});
        QCOMPARE(r.exitCode, 0);
        json locations = parse(r)["locations"];
        QVERIFY2(locations.contains("cuda:1") && locations.contains("cuda:2"), locations.dump().c_str());
    }

    void treeFollowsContract()
    {
        ProcessResult r = runCkpt({"tree", "--json", fixture("train_adam.pth")});
        QCOMPARE(r.exitCode, 0);
        json tree = parse(r);
        QCOMPARE(tree["kind"].get<std::string>(), std::string("training_checkpoint"));
        const json& first = tree["tensors"][0];
        for (const char* field : {"path", "dtype", "shape", "stride", "offset", "storage", "location", "nbytes",
                                  "parameter", "requires_grad"})
            QVERIFY2(first.contains(field), field);
        QCOMPARE(first["path"][0].get<std::string>(), std::string("model"));
        bool sawModelSet = false;
        for (const json& set : tree["weight_sets"])
            if (set["at"] == json::array({"model"})) {
                sawModelSet = true;
                QCOMPARE(set["derived"].get<bool>(), false);
                QVERIFY(set["entries"][0].contains("key") && set["entries"][0]["tensor"].is_number());
            }
        QVERIFY(sawModelSet);
        // Optimizer state is keyed by integers: printed as numbers, not strings.
        bool sawIntKey = false, sawEpoch = false;
        for (const json& t : tree["tensors"])
            if (t["path"].size() >= 3 && t["path"][0] == "optimizer" && t["path"][2].is_number()) sawIntKey = true;
        for (const json& v : tree["values"])
            if (v["path"] == json::array({"epoch"})) sawEpoch = v["type"] == "int";
        QVERIFY(sawIntKey);
        QVERIFY(sawEpoch);
    }

    void wholeModelGetsDerivedWeightSet()
    {
        ProcessResult r = runCkpt({"tree", "--json", fixture("resnet18_whole.pth")});
        QCOMPARE(r.exitCode, 0);
        json tree = parse(r);
        QCOMPARE(tree["kind"].get<std::string>(), std::string("whole_model"));
        QCOMPARE(tree["weight_sets"].size(), size_t(1));
        QCOMPARE(tree["weight_sets"][0]["derived"].get<bool>(), true);
        QCOMPARE(tree["weight_sets"][0]["entries"].size(), size_t(122));
        QCOMPARE(tree["weight_sets"][0]["entries"][0]["key"].get<std::string>(), std::string("conv1.weight"));
    }

    void scanExitsThreeOnDangerousGlobals_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("global");
        QTest::newRow("os.system") << "hostile_os_system.pth"
                                   << "os.system";
        QTest::newRow("eval") << "hostile_eval.pth"
                              << "builtins.eval";
        QTest::newRow("getattr") << "hostile_getattr_chain.pth"
                                 << "builtins.getattr";
        QTest::newRow("protocol 4 posix") << "hostile_posix_p4.pth"
                                          << "posix.system";
        QTest::newRow("zip") << "hostile_zip_os_system.pth"
                             << "os.system";
        QTest::newRow("legacy") << "hostile_legacy_os_system.pth"
                                << "os.system";
    }

    void scanExitsThreeOnDangerousGlobals()
    {
        QFETCH(QString, file);
        QFETCH(QString, global);
        ProcessResult r = runCkpt({"scan", fixture(file.toUtf8().constData())});
        QCOMPARE(r.exitCode, 3);
        QVERIFY2(r.out.contains(global), qPrintable(r.out));
        QVERIFY(r.out.contains("DANGEROUS"));
        ProcessResult j = runCkpt({"scan", "--json", fixture(file.toUtf8().constData())});
        QCOMPARE(j.exitCode, 3);
        QCOMPARE(parse(j)["verdict"].get<std::string>(), std::string("dangerous"));
    }

    void scanOfCleanFileExitsZero()
    {
        ProcessResult r = runCkpt({"scan", fixture("resnet18_whole.pth")});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.contains("torch.nn.modules.conv.Conv2d"));
    }

    void brokenFilesExitOneNamingFileAndCause_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("cause");
        QTest::newRow("empty") << "broken_empty.pth"
                               << "empty";
        QTest::newRow("truncated zip") << "broken_zip_50pct.pth"
                                       << "truncated";
        QTest::newRow("garbage after PK") << "broken_zip_garbage.pth"
                                          << "zip";
        QTest::newRow("flipped legacy") << "broken_legacy_flipped.pth"
                                        << "legacy stream";
        QTest::newRow("random") << "broken_random.pth"
                                << "not a PyTorch checkpoint";
        QTest::newRow("missing") << "does_not_exist.pth"
                                 << "No such file";
    }

    void brokenFilesExitOneNamingFileAndCause()
    {
        QFETCH(QString, file);
        QFETCH(QString, cause);
        for (const char* command : {"info", "tree", "scan"}) {
            ProcessResult r = runCkpt({command, fixture(file.toUtf8().constData())});
            QVERIFY(!r.crashed);
            QCOMPARE(r.exitCode, 1);
            QVERIFY2(r.err.contains(file) && r.err.contains(cause, Qt::CaseInsensitive), qPrintable(r.err));
            QCOMPARE(r.err.count('\n'), 1); // one line, never a stack trace
            QVERIFY(r.out.isEmpty());
        }
    }

    void usageErrorsExitTwo()
    {
        QCOMPARE(runCkpt({"info"}).exitCode, 2);
        QCOMPARE(runCkpt({"frobnicate"}).exitCode, 2);
        QCOMPARE(runCkpt({"info", "--no-such-flag", fixture("resnet18_sd.pth")}).exitCode, 2);
    }

    void versionAndHelp()
    {
        ProcessResult v = runCkpt({"--version"});
        QCOMPARE(v.exitCode, 0);
        QVERIFY(v.out.startsWith("Checkpoint Inspector"));
        ProcessResult h = runCkpt({"help", "scan"});
        QCOMPARE(h.exitCode, 0);
        QCOMPARE(h.out, runCkpt({"scan", "--help"}).out);
    }
};

QTEST_GUILESS_MAIN(TestCliInspect)
#include "tst_cli_inspect.moc"
