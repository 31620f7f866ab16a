#pragma once

#include <cstdint>
#include <vector>

#include <QAbstractTableModel>

namespace ckpt::models
{

// A window onto a tensor's values, read off the UI thread: a 0-d tensor's one value, a vector's first elements
// (one per row), or for 2 and more dimensions the top-left corner of the first 2-D slice (every leading index 0).
struct ValuePreview {
    std::vector<double> values; // row-major, rows x columns
    int rows = 0;
    int columns = 0;
    int64_t firstRow = 0; // index of the first row / column shown in the tensor (headers count from these)
    int64_t firstColumn = 0;
    QString where;        // "[0, 0, :7, :7] of [64, 3, 7, 7]"
    bool integer = false; // integer or bool dtype: shown without a decimal point
    uint64_t nonFinite = 0;
};

// Rows and columns of a preview (the table stays small; the statistics cover the whole tensor).
inline constexpr int kPreviewRows = 64;
inline constexpr int kPreviewColumns = 32;
inline constexpr int kPreviewVectorElements = 256;

// The preview as a table: NaN and +/-Inf cells in the danger colour with a tooltip, so they stand out.
class TensorValuesModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    explicit TensorValuesModel(QObject* parent = nullptr);

    void setPreview(ValuePreview preview);
    const ValuePreview& preview() const { return m_preview; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // "1.5", "nan", "inf", "-inf" as torch prints them; integers without a decimal point.
    static QString valueText(double value, bool integer);

private:
    ValuePreview m_preview;
};

} // namespace ckpt::models
