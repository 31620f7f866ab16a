// TorchScript architecture import (issue 12, item 7): the core's own reader gives the keys, shapes and dtypes of a
// scripted resnet18 in state_dict() order, as real torch lists them (the truth file). LibTorch's loader is never
// used for it (torch::jit::load compiles and runs the archive's code); tests/cli/tst_cli_torchscriptarch.cpp
// shows that no LibTorch library is even loaded.
#include <QJsonArray>
#include <QJsonValue>
#include <QTest>

#include "core/analysis/archresolver.h"
#include "statsfixtures.h"

using namespace ckpt;
using namespace tensortest;

class TestTorchScriptImport : public QObject
{
    Q_OBJECT

private slots:
    void resnet18MatchesStateDictOrder()
    {
        auto spec = resolveArchitecture(fixture("resnet18_scripted.pt").toStdString());
        QVERIFY2(spec.ok(), spec.ok() ? "" : spec.error().detail.c_str());
        QCOMPARE(QString::fromStdString(spec.value().source), QStringLiteral("torchscript"));
        QCOMPARE(QString::fromStdString(spec.value().name), QStringLiteral("resnet18_scripted.pt"));
        const QJsonArray truth = readTruth("resnet18_scripted.truth.json")["entries"].toArray();
        QCOMPARE(int(spec.value().entries.size()), int(truth.size()));
        for (int i = 0; i < truth.size(); ++i) {
            const QJsonArray t = truth[i].toArray();
            const ArchEntry& e = spec.value().entries[size_t(i)];
            QCOMPARE(QString::fromStdString(e.key), t[0].toString());
            std::vector<int64_t> shape;
            for (const QJsonValue& d : t[1].toArray())
                shape.push_back(d.toInteger());
            QVERIFY2(e.shape == shape, e.key.c_str());
            QCOMPARE(QString::fromStdString(std::string(dtypeName(e.dtype))), t[2].toString());
        }
    }

    void missingFileIsAnErrorNotACrash()
    {
        auto spec = resolveArchitecture("/nonexistent/model.pt");
        QVERIFY(!spec.ok());
        QVERIFY(spec.error().detail.find('\n') == std::string::npos);
    }
};

QTEST_APPLESS_MAIN(TestTorchScriptImport)
#include "tst_torchscriptimport.moc"
