#include "app/tensorstatsjob.h"

#ifdef CKPT_HAVE_TENSOR_LOADER
#include "tensor/tensorloader.h"
#endif

namespace ckpt::app
{

bool tensorStatsAvailable(QString* why)
{
#ifdef CKPT_HAVE_TENSOR_LOADER
    std::string reason;
    const bool ok = tensor::tensorModuleAvailable(&reason);
    if (!ok && why) *why = QString::fromStdString(reason);
    return ok;
#else
    if (why) *why = QStringLiteral("this build has no tensor module");
    return false;
#endif
}

StatsAnswer computeTensorStats(CheckpointPtr doc, int tensorIndex, const std::atomic<bool>* cancel)
{
    StatsAnswer answer;
#ifdef CKPT_HAVE_TENSOR_LOADER
    tensor::StatsOptions options;
    options.bins = 64;
    options.cancel = cancel;
    Result<tensor::TensorStats> r = tensor::computeStats(*doc, tensorIndex, options);
    if (r.ok()) {
        answer.ok = true;
        answer.stats = r.value();
    } else {
        answer.error = QString::fromStdString(r.error().detail);
    }
#else
    (void)doc;
    (void)tensorIndex;
    (void)cancel;
    answer.error = QStringLiteral("this build has no tensor module");
#endif
    return answer;
}

} // namespace ckpt::app
