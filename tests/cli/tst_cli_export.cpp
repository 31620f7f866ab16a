// `ckpt export` as users and scripts run it: the plan is printed (all of it with --dry-run), the output
// loads in real PyTorch, and every failure exits with the documented code and names the file and cause.
#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

#include "support/exportsupport.h"
#include "support/hostilesupport.h"

class TestCliExport : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_dp;

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_dp = exporttest::fixturePath("resnet18_dp.pth");
        // The fixtures are a ctest FIXTURES_SETUP (generate_fixtures): missing ones are a broken run, not a skip.
        QVERIFY2(!m_dp.isEmpty(), "fixtures missing: run `ctest -R generate_fixtures` (tests/fixtures/generate.py)");
    }

    void exportsAndReports()
    {
        QString output = m_dir.filePath("single.pth");
        exporttest::Run run = exporttest::ckpt({"export", m_dp, output, "--layout", "single", "--map-location", "cpu"});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY(run.out.contains("module.conv1.weight -> conv1.weight"));
        QVERIFY(run.out.contains("122 of 122 keys renamed"));
        QVERIFY(run.out.contains("verified: 122 tensors and 122 keys"));
        exporttest::Run oracle = exporttest::python(
            "import sys, torch, torchvision\n"
            "torchvision.models.resnet18().load_state_dict(torch.load(sys.argv[1], weights_only=True), strict=True)\n",
            {output});
        QVERIFY2(oracle.exitCode == 0, oracle.err.constData());
    }

    void dryRunPrintsEveryPairAndWritesNothing()
    {
        QString output = m_dir.filePath("dry.pth");
        exporttest::Run run = exporttest::ckpt({"export", m_dp, output, "--strip-prefix", "module", "--dry-run"});
        QCOMPARE(run.exitCode, 0);
        QCOMPARE(run.out.count(" -> "), 122); // every pair
        QVERIFY(run.out.contains("module.fc.bias -> fc.bias"));
        QVERIFY(!QFileInfo::exists(output));

        exporttest::Run json = exporttest::ckpt({"export", m_dp, output, "--layout", "single", "--dry-run", "--json"});
        QCOMPARE(json.exitCode, 0);
        auto parsed = nlohmann::json::parse(json.out.toStdString());
        QCOMPARE(parsed["plan"]["pairs"].size(), size_t(122));
        QCOMPARE(parsed["plan"]["pairs"][0]["to"].get<std::string>(), std::string("conv1.weight"));
        QCOMPARE(parsed["plan"]["layout"].get<std::string>(), std::string("single"));
    }

    void againstArchitecture()
    {
        QString output = m_dir.filePath("against.pth");
        exporttest::Run run = exporttest::ckpt({"export", m_dp, output, "--against", "builtin:resnet18", "--json"});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        auto parsed = nlohmann::json::parse(run.out.toStdString());
        QCOMPARE(parsed["plan"]["changed"].get<size_t>(), size_t(122));
        QCOMPARE(parsed["keys_verified"].get<size_t>(), size_t(122));
    }

    void safetensorsFormat()
    {
        QString output = m_dir.filePath("out.safetensors");
        exporttest::Run run =
            exporttest::ckpt({"export", m_dp, output, "--layout", "single", "--format", "safetensors"});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        exporttest::Run info = exporttest::ckpt({"info", output, "--json"});
        QVERIFY2(info.exitCode == 0, info.err.constData());
        QVERIFY(info.out.contains("safetensors"));
    }

    void failuresExitWithFileAndCause()
    {
        QString output = m_dir.filePath("fail.pth");
        exporttest::Run collision = exporttest::ckpt(
            {"export", m_dp, output, "--drop-component", "conv1", "--drop-component", "bn1", "--layout", "single"});
        QCOMPARE(collision.exitCode, 1);
        QVERIFY(collision.err.startsWith("ckpt: " + m_dp.toUtf8() + ": "));
        QVERIFY(collision.err.contains("`module.conv1.weight`") && collision.err.contains("`module.bn1.weight`"));
        QVERIFY(!QFileInfo::exists(output));

        exporttest::Run missing = exporttest::ckpt({"export", m_dir.filePath("nope.pth"), output});
        QCOMPARE(missing.exitCode, 1);
        QVERIFY(missing.err.startsWith("ckpt: " + m_dir.filePath("nope.pth").toUtf8() + ": "));

        QFile blocker(m_dir.filePath("file"));
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.close();
        QString unwritable = m_dir.filePath("file") + "/out.pth";
        exporttest::Run cannot = exporttest::ckpt({"export", m_dp, unwritable});
        QCOMPARE(cannot.exitCode, 1);
        QVERIFY2(cannot.err.startsWith("ckpt: " + unwritable.toUtf8() + ": "), cannot.err.constData());

        QVERIFY(exporttest::ckpt({"export", m_dp, output}).exitCode == 0);
        exporttest::Run exists = exporttest::ckpt({"export", m_dp, output});
        QCOMPARE(exists.exitCode, 1);
        QVERIFY(exists.err.contains("--force"));
        QCOMPARE(exporttest::ckpt({"export", m_dp, output, "--force"}).exitCode, 0);
        exporttest::Run same = exporttest::ckpt({"export", m_dp, m_dp, "--force"});
        QCOMPARE(same.exitCode, 1);

        QCOMPARE(exporttest::ckpt({"export", m_dp, output, "--layout", "sideways"}).exitCode, 2);
        QCOMPARE(exporttest::ckpt({"export", m_dp, output, "--map-location", "cuda:x", "--force"}).exitCode, 2);
        QCOMPARE(exporttest::ckpt({"export", m_dp}).exitCode, 2);
    }

    void dropDangerousWritesWithoutThePayloads()
    {
        QString hostile =
            QString::fromStdString(ckpt::test::hostileDir() + "/corpus/zip_payload_in_parameter_hooks.pth");
        QString output = m_dir.filePath("clean.pth");
        exporttest::Run refused = exporttest::ckpt({"export", hostile, output});
        QCOMPARE(refused.exitCode, 1);
        QVERIFY2(refused.err.startsWith("ckpt: " + hostile.toUtf8() + ": "), refused.err.constData());
        QVERIFY2(refused.err.contains("dangerous") && refused.err.contains("--drop-dangerous"),
                 refused.err.constData());
        QVERIFY(!QFileInfo::exists(output));

        exporttest::Run text = exporttest::ckpt({"export", hostile, output, "--drop-dangerous"});
        QVERIFY2(text.exitCode == 0, text.err.constData());
        QVERIFY2(text.out.contains("dropped: builtins.eval at w/backward_hooks, replaced by an empty OrderedDict"),
                 text.out.constData());
        QVERIFY(text.out.contains("verified: 1 tensors and 1 keys"));
        QCOMPARE(exporttest::ckpt({"scan", output}).exitCode, 0); // exit 3 would mean a dangerous global

        exporttest::Run json = exporttest::ckpt({"export", hostile, output, "--drop-dangerous", "--force", "--json"});
        QVERIFY2(json.exitCode == 0, json.err.constData());
        auto parsed = nlohmann::json::parse(json.out.toStdString());
        QCOMPARE(parsed["dropped"].size(), size_t(1));
        QCOMPARE(parsed["dropped"][0]["path"].get<std::string>(), std::string("w/backward_hooks"));
        QCOMPARE(parsed["dropped"][0]["global"].get<std::string>(), std::string("builtins.eval"));
        QCOMPARE(parsed["dropped"][0]["action"].get<std::string>(), std::string("replaced by an empty OrderedDict"));
        QCOMPARE(parsed["keys_verified"].get<size_t>(), size_t(1));

        // safetensors holds no pickle: the payload is simply not written, and the report says so.
        QString flat = m_dir.filePath("clean.safetensors");
        exporttest::Run st =
            exporttest::ckpt({"export", hostile, flat, "--drop-dangerous", "--format", "safetensors", "--json"});
        QVERIFY2(st.exitCode == 0, st.err.constData());
        parsed = nlohmann::json::parse(st.out.toStdString());
        QCOMPARE(parsed["dropped"].size(), size_t(1));
        QCOMPARE(parsed["dropped"][0]["path"].get<std::string>(), std::string());
        QCOMPARE(parsed["dropped"][0]["global"].get<std::string>(), std::string("builtins.eval"));
        QCOMPARE(parsed["dropped"][0]["action"].get<std::string>(), std::string("not written"));

        // A clean input reports nothing dropped, as an empty list.
        exporttest::Run plain =
            exporttest::ckpt({"export", m_dp, m_dir.filePath("plain.pth"), "--drop-dangerous", "--json"});
        QVERIFY2(plain.exitCode == 0, plain.err.constData());
        QVERIFY(nlohmann::json::parse(plain.out.toStdString())["dropped"].empty());
    }
};

QTEST_GUILESS_MAIN(TestCliExport)
#include "tst_cli_export.moc"
