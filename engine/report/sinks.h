// Metric sinks of a run directory: JSON lines and CSV files, appended and flushed per row.
#ifndef IMITATE_ENGINE_REPORT_SINKS_H_
#define IMITATE_ENGINE_REPORT_SINKS_H_

#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace imitate::engine {

// A row of named values: numbers or text, in column order.
using RowValue = std::variant<double, int64_t, std::string>;
using Row = std::vector<std::pair<std::string, RowValue>>;

// Appends one JSON object per line (metrics.jsonl).
class JsonlSink {
 public:
  explicit JsonlSink(const std::string& path);
  ~JsonlSink();
  JsonlSink(const JsonlSink&) = delete;
  JsonlSink& operator=(const JsonlSink&) = delete;

  void Write(const Row& row);

 private:
  std::FILE* file_ = nullptr;
};

// Appends rows to a CSV file. The header is fixed by the first row written (or read back from
// an existing file); later rows fill those columns (missing ones empty, extra ones dropped).
class CsvSink {
 public:
  explicit CsvSink(const std::string& path);
  ~CsvSink();
  CsvSink(const CsvSink&) = delete;
  CsvSink& operator=(const CsvSink&) = delete;

  void Write(const Row& row);
  const std::vector<std::string>& columns() const { return columns_; }

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
  std::vector<std::string> columns_;
};

// A value formatted for CSV and JSON (numbers shortest round-trip, NaN as "nan"/null).
std::string FormatCsv(const RowValue& value);
std::string FormatJson(const RowValue& value);

// Writes `text` to `path` through a temporary file and a rename (readers never see a partial
// file; a failed write leaves no temporary file). Throws DataError naming the path when it
// cannot be written.
void WriteFileAtomic(const std::string& path, const std::string& text);

// Reads a CSV file written by CsvSink: header and rows of strings. Missing file: empty.
std::vector<std::vector<std::string>> ReadCsv(const std::string& path);

}  // namespace imitate::engine

#endif  // IMITATE_ENGINE_REPORT_SINKS_H_
