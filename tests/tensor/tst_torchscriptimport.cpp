// TorchScript architecture import through LibTorch: keys, shapes and dtypes in state_dict() order.
#include <QtTest>

#include "statsfixtures.h"
#include "tensor/tensorloader.h"

using namespace ckpt;
using namespace tensortest;

class TestTorchScriptImport : public QObject
{
    Q_OBJECT

private slots:
    void resnet18MatchesStateDictOrder()
    {
        std::string why;
        QVERIFY2(tensor::tensorModuleAvailable(&why), why.c_str());
        auto spec = tensor::importTorchScriptArchitecture(fixture("resnet18_scripted.pt").toStdString());
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

    void plainCheckpointIsAnErrorNotACrash()
    {
        auto spec = tensor::importTorchScriptArchitecture(fixture("dtypes.pth").toStdString());
        QVERIFY(!spec.ok());
        QVERIFY(spec.error().detail.find('\n') == std::string::npos); // no C++ backtrace for users
        QVERIFY(!tensor::importTorchScriptArchitecture("/nonexistent/model.pt").ok());
    }
};

QTEST_APPLESS_MAIN(TestTorchScriptImport)
#include "tst_torchscriptimport.moc"
