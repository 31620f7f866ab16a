#include <QTest>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "core/analysis/architecturecatalog.h"
#include "support/runprocess.h"

using namespace ckpt;

namespace
{

const ArchEntry* findEntry(const ArchitectureSpec& spec, const std::string& key)
{
    for (const ArchEntry& e : spec.entries)
        if (e.key == key) return &e;
    return nullptr;
}

// What real torchvision says, in the documented JSON form, so the comparison also runs the user path.
const char* kDumpScript = R"(
import json, sys, warnings
import torchvision.models as tvm
warnings.simplefilter("ignore")
name = sys.argv[1]
args = {"aux_logits": True, "init_weights": True} if name in ("googlenet", "inception_v3") else {}
model = tvm.get_model(name, weights=None, **args)
print(json.dumps({"keys": {k: {"shape": list(v.shape), "dtype": str(v.dtype)} for k, v in model.state_dict().items()}}))
)";

} // namespace

// The embedded torchvision catalog, checked against its own promises and against torchvision itself.
class TestArchitectureCatalog : public QObject
{
    Q_OBJECT

private slots:
    void firstUseFromManyThreads();
    void namesAreSortedAndComplete();
    void version();
    void resnet18();
    void everySpecIsUsable();
    void recordsConstructorArguments();
    void unknownNameSuggestsCloseOnes_data();
    void unknownNameSuggestsCloseOnes();
    void equalsTorchvision_data();
    void equalsTorchvision();
};

void TestArchitectureCatalog::firstUseFromManyThreads()
{
    // Runs first so the lazy decompression really races: every thread must see the same complete catalog.
    std::vector<std::thread> threads;
    std::atomic<int> good{0};
    for (int i = 0; i < 8; ++i)
        threads.emplace_back([&good] {
            Result<ArchitectureSpec> spec = catalogSpec("resnet50");
            if (spec.ok() && spec.value().entries.size() == 320 && catalogNames().size() == 80) ++good;
        });
    for (std::thread& t : threads)
        t.join();
    QCOMPARE(good.load(), 8);
}

void TestArchitectureCatalog::namesAreSortedAndComplete()
{
    const std::vector<std::string> names = catalogNames();
    QVERIFY(std::is_sorted(names.begin(), names.end()));
    QVERIFY(std::adjacent_find(names.begin(), names.end()) == names.end());
    // torchvision 0.14.1's list_models(module=torchvision.models): every classification model it ships.
    const std::vector<std::string> expected = {"alexnet",
                                               "convnext_base",
                                               "convnext_large",
                                               "convnext_small",
                                               "convnext_tiny",
                                               "densenet121",
                                               "densenet161",
                                               "densenet169",
                                               "densenet201",
                                               "efficientnet_b0",
                                               "efficientnet_b1",
                                               "efficientnet_b2",
                                               "efficientnet_b3",
                                               "efficientnet_b4",
                                               "efficientnet_b5",
                                               "efficientnet_b6",
                                               "efficientnet_b7",
                                               "efficientnet_v2_l",
                                               "efficientnet_v2_m",
                                               "efficientnet_v2_s",
                                               "googlenet",
                                               "inception_v3",
                                               "maxvit_t",
                                               "mnasnet0_5",
                                               "mnasnet0_75",
                                               "mnasnet1_0",
                                               "mnasnet1_3",
                                               "mobilenet_v2",
                                               "mobilenet_v3_large",
                                               "mobilenet_v3_small",
                                               "regnet_x_16gf",
                                               "regnet_x_1_6gf",
                                               "regnet_x_32gf",
                                               "regnet_x_3_2gf",
                                               "regnet_x_400mf",
                                               "regnet_x_800mf",
                                               "regnet_x_8gf",
                                               "regnet_y_128gf",
                                               "regnet_y_16gf",
                                               "regnet_y_1_6gf",
                                               "regnet_y_32gf",
                                               "regnet_y_3_2gf",
                                               "regnet_y_400mf",
                                               "regnet_y_800mf",
                                               "regnet_y_8gf",
                                               "resnet101",
                                               "resnet152",
                                               "resnet18",
                                               "resnet34",
                                               "resnet50",
                                               "resnext101_32x8d",
                                               "resnext101_64x4d",
                                               "resnext50_32x4d",
                                               "shufflenet_v2_x0_5",
                                               "shufflenet_v2_x1_0",
                                               "shufflenet_v2_x1_5",
                                               "shufflenet_v2_x2_0",
                                               "squeezenet1_0",
                                               "squeezenet1_1",
                                               "swin_b",
                                               "swin_s",
                                               "swin_t",
                                               "swin_v2_b",
                                               "swin_v2_s",
                                               "swin_v2_t",
                                               "vgg11",
                                               "vgg11_bn",
                                               "vgg13",
                                               "vgg13_bn",
                                               "vgg16",
                                               "vgg16_bn",
                                               "vgg19",
                                               "vgg19_bn",
                                               "vit_b_16",
                                               "vit_b_32",
                                               "vit_h_14",
                                               "vit_l_16",
                                               "vit_l_32",
                                               "wide_resnet101_2",
                                               "wide_resnet50_2"};
    QCOMPARE(names, expected);
}

void TestArchitectureCatalog::version()
{
    QCOMPARE(catalogVersion(), std::string("torchvision 0.14.1"));
}

void TestArchitectureCatalog::resnet18()
{
    Result<ArchitectureSpec> spec = catalogSpec("resnet18");
    QVERIFY2(spec.ok(), spec.ok() ? "" : spec.error().detail.c_str());
    const ArchitectureSpec& s = spec.value();
    QCOMPARE(s.name, std::string("resnet18"));
    QCOMPARE(s.source, std::string("builtin"));
    QCOMPARE(s.entries.size(), size_t(122));
    QCOMPARE(s.entries.front().key, std::string("conv1.weight"));
    QCOMPARE(s.entries.back().key, std::string("fc.bias"));
    QCOMPARE(s.entries.front().shape, (std::vector<int64_t>{64, 3, 7, 7}));
    QVERIFY(s.entries.front().dtype == DType::Float32);

    const ArchEntry* fc = findEntry(s, "fc.weight");
    QVERIFY(fc);
    QCOMPARE(fc->shape, (std::vector<int64_t>{1000, 512}));
    const ArchEntry* tracked = findEntry(s, "bn1.num_batches_tracked");
    QVERIFY(tracked);
    QVERIFY(tracked->shape.empty());
    QVERIFY(tracked->dtype == DType::Int64);
    const ArchEntry* downsample = findEntry(s, "layer4.0.downsample.0.weight");
    QVERIFY(downsample);
    QCOMPARE(downsample->shape, (std::vector<int64_t>{512, 256, 1, 1}));
    const ArchEntry* mean = findEntry(s, "layer3.1.bn2.running_mean");
    QVERIFY(mean);
    QCOMPARE(mean->shape, (std::vector<int64_t>{256}));
}

void TestArchitectureCatalog::everySpecIsUsable()
{
    for (const std::string& name : catalogNames()) {
        Result<ArchitectureSpec> spec = catalogSpec(name);
        QVERIFY2(spec.ok(), name.c_str());
        QVERIFY2(!spec.value().entries.empty(), name.c_str());
        QCOMPARE(spec.value().name, name);
        std::vector<std::string> keys;
        for (const ArchEntry& e : spec.value().entries) {
            QVERIFY2(!e.key.empty(), name.c_str());
            QVERIFY2(e.dtype == DType::Float32 || e.dtype == DType::Int64, (name + ": " + e.key).c_str());
            keys.push_back(e.key);
        }
        std::sort(keys.begin(), keys.end());
        QVERIFY2(std::adjacent_find(keys.begin(), keys.end()) == keys.end(), name.c_str());
    }
    QCOMPARE(catalogSpec("resnet152").value().entries.size(), size_t(932));
    QCOMPARE(catalogSpec("vit_h_14").value().entries.front().key, std::string("class_token"));
}

void TestArchitectureCatalog::recordsConstructorArguments()
{
    QCOMPARE(catalogModelArguments("googlenet"), std::string("aux_logits=True, transform_input=False, "
                                                             "init_weights=True"));
    QCOMPARE(catalogModelArguments("resnet18"), std::string());
    QVERIFY(findEntry(catalogSpec("googlenet").value(), "aux1.fc2.weight"));
    QVERIFY(findEntry(catalogSpec("inception_v3").value(), "AuxLogits.fc.weight"));
}

void TestArchitectureCatalog::unknownNameSuggestsCloseOnes_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("expected");
    QTest::newRow("typo") << "resnet19"
                          << "no built-in architecture 'resnet19'; did you mean resnet18, resnet101, resnet152?";
    QTest::newRow("case") << "ResNet50"
                          << "no built-in architecture 'ResNet50'; did you mean resnet50?";
    QTest::newRow("family") << "efficientnet"
                            << "no built-in architecture 'efficientnet'; did you mean efficientnet_b0, "
                               "efficientnet_b1, efficientnet_b2?";
    QTest::newRow("far") << "transformer_xl"
                         << "no built-in architecture 'transformer_xl' (`ckpt arch list` shows them all)";
    QTest::newRow("empty") << ""
                           << "no built-in architecture '' (`ckpt arch list` shows them all)";
}

void TestArchitectureCatalog::unknownNameSuggestsCloseOnes()
{
    QFETCH(QString, name);
    QFETCH(QString, expected);
    Result<ArchitectureSpec> spec = catalogSpec(name.toStdString());
    QVERIFY(!spec.ok());
    QCOMPARE(QString::fromStdString(spec.error().detail), expected);
}

void TestArchitectureCatalog::equalsTorchvision_data()
{
    QTest::addColumn<QString>("name");
    // A plain CNN, one with auxiliary heads built from non-default-looking arguments, and a transformer
    // with int64 relative-position buffers.
    QTest::newRow("resnet18") << "resnet18";
    QTest::newRow("googlenet") << "googlenet";
    QTest::newRow("swin_t") << "swin_t";
}

void TestArchitectureCatalog::equalsTorchvision()
{
    QFETCH(QString, name);
    const test::ByteRun python = test::runPythonBytes(kDumpScript, {name}, 180000);
    QVERIFY2(python.exitCode == 0, python.err.constData());
    Result<ArchitectureSpec> truth = architectureFromJson(python.out.toStdString(), "torch");
    QVERIFY2(truth.ok(), truth.ok() ? "" : truth.error().detail.c_str());
    Result<ArchitectureSpec> ours = catalogSpec(name.toStdString());
    QVERIFY(ours.ok());

    const std::vector<ArchEntry>& want = truth.value().entries;
    const std::vector<ArchEntry>& got = ours.value().entries;
    QCOMPARE(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
        QCOMPARE(got[i].key, want[i].key);
        QCOMPARE(got[i].shape, want[i].shape);
        QVERIFY2(got[i].dtype == want[i].dtype, want[i].key.c_str());
    }
}

QTEST_APPLESS_MAIN(TestArchitectureCatalog)
#include "tst_architecturecatalog.moc"
