#include "app/valuepreviewjob.h"

#include <algorithm>
#include <cmath>

#include "core/analysis/valuecompare.h"
#include "models/formatting.h"
#ifdef CKPT_HAVE_TENSOR_LOADER
#include "tensor/tensorloader.h"
#endif

namespace ckpt::app
{

PreviewAnswer readValuePreview(CheckpointPtr doc, int index)
{
    PreviewAnswer answer;
#ifndef CKPT_HAVE_TENSOR_LOADER
    (void)doc;
    (void)index;
    answer.error = QStringLiteral("the tensor module is not part of this build");
    return answer;
#else
    Result<tensor::RawTensor> raw = tensor::rawTensorFor(*doc, index);
    if (!raw) {
        answer.error = QString::fromStdString(raw.error().detail);
        return answer;
    }
    const tensor::RawTensor& t = raw.value();
    if (dtypeIsComplex(t.dtype)) {
        answer.error = QStringLiteral("complex values are not previewed");
        return answer;
    }
    models::ValuePreview& p = answer.preview;
    const size_t rank = t.shape.size();
    const int64_t rows = rank == 0 ? 1 : rank == 1 ? t.shape[0] : t.shape[rank - 2];
    const int64_t columns = rank < 2 ? 1 : t.shape[rank - 1];
    p.rows = int(std::min<int64_t>(rows, rank == 1 ? models::kPreviewVectorElements : models::kPreviewRows));
    p.columns = int(std::min<int64_t>(columns, models::kPreviewColumns));
    if (t.data == nullptr || p.rows == 0 || p.columns == 0) {
        p.rows = p.columns = 0;
    }
    const int64_t rowStride = rank == 0 ? 0 : rank == 1 ? t.stride[0] : t.stride[rank - 2];
    const int64_t columnStride = rank < 2 ? 0 : t.stride[rank - 1];
    const size_t elementSize = dtypeElementSize(t.dtype);
    const auto* base = static_cast<const uint8_t*>(t.data);
    p.integer = !dtypeIsFloating(t.dtype);
    p.values.resize(size_t(p.rows) * size_t(p.columns));
    // Every leading index is 0, so the element at (r, c) of the slice is r * rowStride + c * columnStride; the
    // raw view was bounds-checked for the whole tensor, which contains this corner.
    for (int r = 0; r < p.rows; ++r)
        for (int c = 0; c < p.columns; ++c) {
            const uint64_t element = uint64_t(r) * uint64_t(rowStride) + uint64_t(c) * uint64_t(columnStride);
            const double v = elementToDouble(base + element * elementSize, t.dtype);
            p.values[size_t(r) * size_t(p.columns) + size_t(c)] = v;
            p.nonFinite += std::isfinite(v) ? 0 : 1;
        }
    // The bytes read are only trusted when the file did not change under the mapping meanwhile.
    const VoidResult unchanged = doc->checkFilesUnchanged();
    if (!unchanged.ok()) {
        answer.error = QString::fromStdString(unchanged.error().detail);
        return answer;
    }
    QStringList where;
    for (size_t d = 0; d + 2 < rank; ++d)
        where << QStringLiteral("0");
    if (rank >= 1) where << (rows > p.rows ? QStringLiteral(":%1").arg(p.rows) : QStringLiteral(":"));
    if (rank >= 2) where << (columns > p.columns ? QStringLiteral(":%1").arg(p.columns) : QStringLiteral(":"));
    p.where = rank == 0
                  ? QStringLiteral("the value")
                  : QStringLiteral("[%1] of %2").arg(where.join(QStringLiteral(", ")), models::shapeText(t.shape));
    answer.ok = true;
    return answer;
#endif
}

} // namespace ckpt::app
