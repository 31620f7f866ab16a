// `ckpt match`, `ckpt diff` and `ckpt arch` as a user runs them: exit codes, JSON fields, messages.
#include <QFloat16> // QCOMPARE of nlohmann::json values tries qCompare(qfloat16, ...): it needs the whole type
#include <QTest>

#include "support/matchdiffsupport.h"

using matchdiff::runCkpt;

namespace
{

nlohmann::json parse(const QByteArray& out)
{
    return nlohmann::json::parse(out.toStdString(), nullptr, false);
}

QString f(const char* name)
{
    return matchdiff::fixture(name);
}

} // namespace

class TestCliMatchDiff : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { QVERIFY2(!f("resnet18_dp").isEmpty(), "fixtures missing: run ctest -R generate_fixtures"); }

    void matchDataParallel()
    {
        auto r = runCkpt({"match", f("resnet18_dp"), "--against", "builtin:resnet18", "--json"});
        QCOMPARE(r.exitCode, 0);
        nlohmann::json j = parse(r.out);
        QVERIFY(j.is_object());
        QCOMPARE(j["rule"]["strip"], nlohmann::json({"module."}));
        QCOMPARE(j["entries"].size(), size_t(122));
        for (const auto& e : j["entries"]) {
            QCOMPARE(e["status"].get<std::string>(), std::string("renamed"));
            QCOMPARE("module." + e["arch_key"].get<std::string>(), e["key"].get<std::string>());
            QCOMPARE(e["shape"], e["arch_shape"]);
        }
        QCOMPARE(j["summary"]["renamed"].get<int>(), 122);

        auto human = runCkpt({"match", f("resnet18_dp"), "--against", "builtin:resnet18"});
        QCOMPARE(human.exitCode, 0);
        QVERIFY2(human.out.contains("122 keys: 122 fixable by removing `module.` (DataParallel/DDP wrapper), "
                                    "0 shape mismatches"),
                 human.out.right(400).constData());
    }

    void matchFindingsExitThree()
    {
        auto r = runCkpt({"match", f("resnet18_head10"), "--against", "builtin:resnet18", "--json"});
        QCOMPARE(r.exitCode, 3);
        nlohmann::json j = parse(r.out);
        int mismatches = 0;
        for (const auto& e : j["entries"])
            if (e["status"] == "shape_mismatch") {
                ++mismatches;
                QVERIFY(e["key"] == "fc.weight" || e["key"] == "fc.bias");
                QCOMPARE(e["arch_shape"][0].get<int>(), 1000);
                QCOMPARE(e["shape"][0].get<int>(), 10);
            }
        QCOMPARE(mismatches, 2);
        auto missing = runCkpt({"match", f("resnet18_sd"), "--against", "builtin:resnet34", "--json"});
        QCOMPARE(missing.exitCode, 3);
        QVERIFY(parse(missing.out)["summary"]["missing"].get<int>() > 0);
    }

    void matchTorchScriptArchitecture()
    {
        // Through the tensor module (LibTorch) when it loads, else the core's reading: same verdicts.
        QTemporaryDir dir;
        QString path = dir.path() + "/resnet18_script.pt";
        auto py = matchdiff::runPython("import torch, torchvision; torch.manual_seed(0);"
                                       "torch.jit.script(torchvision.models.resnet18(weights=None).eval()).save('" +
                                       path + "')");
        QVERIFY2(py.exitCode == 0, py.err.constData());
        auto script = runCkpt({"match", f("resnet18_head10"), "--against", path, "--json"});
        auto builtin = runCkpt({"match", f("resnet18_head10"), "--against", "builtin:resnet18", "--json"});
        QCOMPARE(script.exitCode, 3);
        nlohmann::json a = parse(script.out), b = parse(builtin.out);
        QCOMPARE(a["architecture"]["source"].get<std::string>(), std::string("torchscript"));
        QCOMPARE(a["entries"].size(), b["entries"].size());
        for (size_t i = 0; i < a["entries"].size(); ++i) {
            QCOMPARE(a["entries"][i]["status"], b["entries"][i]["status"]);
            QCOMPARE(a["entries"][i]["arch_key"], b["entries"][i]["arch_key"]);
            QCOMPARE(a["entries"][i]["arch_shape"], b["entries"][i]["arch_shape"]);
        }
        auto small = runCkpt({"match", f("small_before"), "--against", f("torchscript_small"), "--json"});
        QCOMPARE(small.exitCode, 0);
    }

    void matchErrors()
    {
        auto noFile = runCkpt({"match", "/nonexistent/x.pth", "--against", "builtin:resnet18"});
        QCOMPARE(noFile.exitCode, 1);
        QVERIFY(noFile.err.startsWith("ckpt: /nonexistent/x.pth: "));
        auto badArch = runCkpt({"match", f("resnet18_sd"), "--against", "builtin:resnet19"});
        QCOMPARE(badArch.exitCode, 1);
        QVERIFY(badArch.err.startsWith("ckpt: builtin:resnet19: "));
        QVERIFY(badArch.err.contains("resnet18"));
        auto usage = runCkpt({"match", f("resnet18_sd")});
        QCOMPARE(usage.exitCode, 2);
    }

    void diffEqualAndDifferent()
    {
        auto equal = runCkpt({"diff", f("resnet18_dp"), f("resnet18_sd"), "--values", "--json"});
        QCOMPARE(equal.exitCode, 0);
        nlohmann::json j = parse(equal.out);
        QCOMPARE(j["rule"]["strip"], nlohmann::json({"module."}));
        QCOMPARE(j["entries"].size(), size_t(122));
        for (const auto& e : j["entries"]) {
            QCOMPARE(e["status"].get<std::string>(), std::string("equal"));
            QCOMPARE(e["max_abs_diff"].get<double>(), 0.0);
        }
        auto meta = runCkpt({"diff", f("resnet18_dp"), f("resnet18_sd")});
        QCOMPARE(meta.exitCode, 0);
        QVERIFY(meta.out.contains("122 of 122 tensor pairs"));

        auto step = runCkpt({"diff", f("small_before"), f("small_after_adam"), "--values", "--json"});
        QCOMPARE(step.exitCode, 1);
        nlohmann::json s = parse(step.out);
        QVERIFY(s["summary"]["counts"]["values_differ"].get<int>() > 0);
        QCOMPARE(s["summary"]["equal"].get<bool>(), false);
        bool sawDiff = false;
        for (const auto& e : s["entries"])
            if (e["status"] == "values_differ") sawDiff = e["max_abs_diff"].get<double>() > 0.0;
        QVERIFY(sawDiff);
        auto human = runCkpt({"diff", f("small_before"), f("small_after_adam"), "--values"});
        QCOMPARE(human.exitCode, 1);
        QVERIFY(human.out.contains("values_differ"));
        QVERIFY(human.out.contains("max |a-b|"));

        auto bf16 = runCkpt({"diff", f("small_bf16"), f("small_before"), "--json"});
        QCOMPARE(bf16.exitCode, 1);
        QVERIFY(parse(bf16.out)["summary"]["counts"]["dtype_differs"].get<int>() > 0);
    }

    void diffUnreadableFile()
    {
        // Exit 1 like "different" (diff(1) uses 2 for trouble, the ckpt contract says 1): told apart by
        // the message on stderr and an empty stdout.
        auto r = runCkpt({"diff", f("resnet18_sd"), "/nonexistent/y.pth", "--json"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY(r.out.isEmpty());
        QVERIFY(r.err.startsWith("ckpt: /nonexistent/y.pth: "));
        auto usage = runCkpt({"diff", f("resnet18_sd")});
        QCOMPARE(usage.exitCode, 2);
    }

    void archListAndShow()
    {
        auto list = runCkpt({"arch", "list"});
        QCOMPARE(list.exitCode, 0);
        QStringList names = QString::fromUtf8(list.out).split('\n', Qt::SkipEmptyParts);
        QVERIFY(names.contains("resnet18"));
        QVERIFY(names.contains("resnet152"));
        QVERIFY(names.contains("vit_b_16"));
        QStringList sorted = names;
        sorted.sort();
        QCOMPARE(names, sorted);
        auto listJson = runCkpt({"arch", "list", "--json"});
        QCOMPARE(listJson.exitCode, 0);
        QCOMPARE(parse(listJson.out)["names"].size(), size_t(names.size()));

        auto show = runCkpt({"arch", "show", "resnet18", "--json"});
        QCOMPARE(show.exitCode, 0);
        nlohmann::json j = parse(show.out);
        QCOMPARE(j["total_keys"].get<int>(), 122);
        QCOMPARE(j["keys"][0]["key"].get<std::string>(), std::string("conv1.weight"));
        QCOMPARE(j["keys"][0]["shape"], nlohmann::json({64, 3, 7, 7}));
        QCOMPARE(j["total_params"].get<int64_t>(), int64_t(11689512)); // sum(p.numel() for p in parameters())
        auto human = runCkpt({"arch", "show", "resnet152"});
        QCOMPARE(human.exitCode, 0);
        QVERIFY(human.out.contains("layer4.2.bn3.running_var"));

        QCOMPARE(runCkpt({"arch", "show", "resnet19"}).exitCode, 1);
        QCOMPARE(runCkpt({"arch"}).exitCode, 2);
    }
};

QTEST_GUILESS_MAIN(TestCliMatchDiff)
#include "tst_cli_matchdiff.moc"
