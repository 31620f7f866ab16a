// `ckpt info / tree --json / scan / export` on DCP and DeepSpeed directories, with real torch as the oracle
// for the consolidated files (check_export.py: torch.load(weights_only=True), bitwise equality with the
// generator's masters, ties sharing storage), and exit 1 naming the file on damaged directories.
#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

#include "support/runprocess.h"

using namespace ckpt::test;
using nlohmann::json;

namespace
{

QString dir(const QString& name)
{
    return QString(CKPT_DISTRIBUTED_DIR) + "/" + name;
}

} // namespace

class TestDistributedCli : public QObject
{
    Q_OBJECT

private slots:
    void exportsMatchTorch_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("suffix");
        for (const char* n : {"dcp113_w2_single", "dcp113_w2_peritem", "dcp113_w3_uneven", "dcp24_flat", "ds_z1_fp16",
                              "ds_z2_bf16", "ds_z3_bf16", "ds_z3_w3"}) {
            QTest::newRow((std::string(n) + " torch").c_str()) << n << ".pth";
            QTest::newRow((std::string(n) + " safetensors").c_str()) << n << ".safetensors";
        }
    }
    void exportsMatchTorch()
    {
        QFETCH(QString, name);
        QFETCH(QString, suffix);
        QTemporaryDir tmp;
        const QString out = tmp.filePath("out" + suffix);
        QStringList args{"export", dir(name), out};
        if (suffix == ".safetensors")
            args << "--format"
                 << "safetensors";
        ProcessResult r = runCkpt(args);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        ProcessResult check = decoded(runPythonFile(CKPT_CHECK_EXPORT, {out, dir(name) + ".expected.pt"}));
        QVERIFY2(check.exitCode == 0, qPrintable(check.err + check.out));
    }

    void infoAndTreeOnDirectories()
    {
        ProcessResult r = runCkpt({"info", "--json", dir("ds_z3_bf16")});
        QCOMPARE(r.exitCode, 0);
        json info = json::parse(r.out.toStdString());
        QCOMPARE(info["format"].get<std::string>(), std::string("deepspeed"));
        QCOMPARE(info["distributed"]["facts"]["stage"].get<std::string>(), std::string("3"));
        r = runCkpt({"tree", "--json", dir("dcp113_w3_uneven")});
        QCOMPARE(r.exitCode, 0);
        json tree = json::parse(r.out.toStdString());
        bool found = false;
        for (const auto& t : tree["tensors"])
            if (t["path"] == json::array({"emb.bf16"})) {
                found = true;
                QCOMPARE(t["dtype"].get<std::string>(), std::string("bfloat16"));
                QCOMPARE(t["chunks"].size(), size_t(3)); // 9 rows over 3 ranks: 3, 3, 3
                QVERIFY(t["coverage"]["complete"].get<bool>());
            }
        QVERIFY(found);
        r = runCkpt({"scan", dir("ds_z2_bf16")});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains("deepspeed.runtime.zero.config.ZeroStageEnum"), qPrintable(r.out));
    }

    // The .metadata of a genuine torch 1.13 DCP directory (and of the 2.x layout) is made of DCP's own records:
    // the scan rates every global safe (no amber "unknown imports" banner on every distributed checkpoint), while
    // DeepSpeed's classes stay unknown (importing them runs DeepSpeed's code).
    void metadataRecordsAreNotAnAlarm_data()
    {
        QTest::addColumn<QString>("name");
        QTest::newRow("torch 1.13") << "dcp113_w3_uneven";
        QTest::newRow("2.x layout") << "dcp24_flat";
    }
    void metadataRecordsAreNotAnAlarm()
    {
        QFETCH(QString, name);
        ProcessResult r = runCkpt({"scan", "--json", dir(name)});
        QCOMPARE(r.exitCode, 0);
        json scan = json::parse(r.out.toStdString());
        int records = 0;
        for (const auto& g : scan["globals"]) {
            const std::string what = g["module"].get<std::string>() + "." + g["name"].get<std::string>();
            QVERIFY2(g["severity"] == "safe", what.c_str());
            if (what.find(".checkpoint.metadata.") != std::string::npos) ++records;
        }
        QVERIFY(records >= 5);
    }

    void damagedDirectoriesExitOne_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("named");
        QTest::newRow("no metadata") << "dcp_no_metadata"
                                     << ".metadata";
        QTest::newRow("missing rank") << "dcp_missing_rank"
                                      << "__1_0.distcp";
        QTest::newRow("truncated rank") << "dcp_truncated_rank"
                                        << "__1_0.distcp";
        QTest::newRow("damaged chunk") << "dcp_damaged_chunk"
                                       << "__0_0.distcp";
        QTest::newRow("zstd") << "dcp_zstd"
                              << "zstd";
        QTest::newRow("zero missing rank") << "ds_missing_rank"
                                           << "bf16_zero_pp_rank_1_mp_rank_00_optim_states.pt";
        QTest::newRow("bf16 optimizer") << "ds_bf16_optimizer"
                                        << "BF16_Optimizer";
        QTest::newRow("stage 0") << "ds_stage0"
                                 << "stage 0";
    }
    void damagedDirectoriesExitOne()
    {
        QFETCH(QString, name);
        QFETCH(QString, named);
        for (const char* command : {"info", "tree"}) {
            ProcessResult r = runCkpt({command, dir(name)});
            QCOMPARE(r.exitCode, 1);
            QVERIFY2(r.err.contains(dir(name)) && r.err.contains(named), qPrintable(r.err));
        }
        QTemporaryDir tmp;
        ProcessResult r = runCkpt({"export", dir(name), tmp.filePath("out.pth")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY(!QFile::exists(tmp.filePath("out.pth")));
    }
};

QTEST_GUILESS_MAIN(TestDistributedCli)
#include "tst_distributedcli.moc"
