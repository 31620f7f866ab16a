#pragma once

#include <QAbstractTableModel>

#include "core/format/loader.h"

namespace ckpt::models
{

// The security verdict as a table: every global the pickle imports with its severity and why, then the
// document's other findings. Dangerous rows come first and are red.
class FindingsModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { SeverityColumn, WhatColumn, DetailColumn, ColumnCount };

    explicit FindingsModel(QObject* parent = nullptr);
    void setDocument(CheckpointPtr doc);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    struct Row {
        Severity severity;
        QString what;
        QString detail;
    };
    std::vector<Row> m_rows;
};

} // namespace ckpt::models
