#include "engine/report/sinks.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "imitate/sdk/errors.h"

namespace imitate::engine {
namespace {

std::FILE* OpenAppend(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "a");
  if (f == nullptr) throw DataError(fmt::format("{}: cannot open for writing", path));
  return f;
}

std::string JsonEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<int>(c));
    } else {
      out += c;
    }
  }
  return out;
}

std::vector<std::string> SplitCsvLine(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cell += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cell += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      cells.push_back(cell);
      cell.clear();
    } else {
      cell += c;
    }
  }
  cells.push_back(cell);
  return cells;
}

}  // namespace

std::string FormatCsv(const RowValue& value) {
  if (const auto* d = std::get_if<double>(&value)) {
    return std::isfinite(*d) ? fmt::format("{}", *d) : (std::isnan(*d) ? "nan" : "inf");
  }
  if (const auto* i = std::get_if<int64_t>(&value)) return std::to_string(*i);
  const std::string& s = std::get<std::string>(value);
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string quoted = "\"";
  for (char c : s) quoted += (c == '"') ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

std::string FormatJson(const RowValue& value) {
  if (const auto* d = std::get_if<double>(&value)) {
    return std::isfinite(*d) ? fmt::format("{}", *d) : "null";
  }
  if (const auto* i = std::get_if<int64_t>(&value)) return std::to_string(*i);
  return "\"" + JsonEscape(std::get<std::string>(value)) + "\"";
}

// ----- JsonlSink ----- //

JsonlSink::JsonlSink(const std::string& path) : file_(OpenAppend(path)) {}
JsonlSink::~JsonlSink() {
  if (file_) std::fclose(file_);
}

void JsonlSink::Write(const Row& row) {
  std::string line = "{";
  for (size_t i = 0; i < row.size(); ++i) {
    if (i) line += ", ";
    line += "\"" + JsonEscape(row[i].first) + "\": " + FormatJson(row[i].second);
  }
  line += "}\n";
  std::fputs(line.c_str(), file_);
  std::fflush(file_);
}

// ----- CsvSink ----- //

CsvSink::CsvSink(const std::string& path) : path_(path) {
  // an existing file keeps its header: rows are appended under it
  auto existing = ReadCsv(path);
  if (!existing.empty()) columns_ = existing.front();
  file_ = OpenAppend(path);
}

CsvSink::~CsvSink() {
  if (file_) std::fclose(file_);
}

void CsvSink::Write(const Row& row) {
  // the first row fixes the columns
  if (columns_.empty()) {
    std::vector<std::string> header;
    for (const auto& [name, value] : row) {
      columns_.push_back(name);
      header.push_back(FormatCsv(name));
    }
    std::fputs((fmt::format("{}", fmt::join(header, ",")) + "\n").c_str(), file_);
  }
  std::vector<std::string> cells(columns_.size());
  for (const auto& [name, value] : row) {
    for (size_t c = 0; c < columns_.size(); ++c) {
      if (columns_[c] == name) cells[c] = FormatCsv(value);
    }
  }
  std::fputs((fmt::format("{}", fmt::join(cells, ",")) + "\n").c_str(), file_);
  std::fflush(file_);
}

std::vector<std::vector<std::string>> ReadCsv(const std::string& path) {
  std::vector<std::vector<std::string>> rows;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) rows.push_back(SplitCsvLine(line));
  }
  return rows;
}

void WriteFileAtomic(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  std::error_code ec;
  {
    std::ofstream out(tmp, std::ios::binary);
    out << text;
    if (!out) {
      out.close();
      std::filesystem::remove(tmp, ec);  // no partial file is left behind
      throw DataError(fmt::format("{}: cannot write", path));
    }
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw DataError(fmt::format("{}: cannot write: {}", path, ec.message()));
}

}  // namespace imitate::engine
