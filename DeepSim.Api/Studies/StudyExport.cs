using System.Globalization;
using System.Text;
using CsvHelper;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;

namespace DeepSim.Api.Studies;

/// <summary>A study table as CSV (CsvHelper, invariant culture, full precision) or as an XLSX workbook (OpenXML).</summary>
public static class StudyExport
{
    public static byte[] Csv(StudyTable table)
    {
        using var buffer = new MemoryStream();
        using (var writer = new StreamWriter(buffer, new UTF8Encoding(false), leaveOpen: true))
        using (var csv = CsvWriter.Create(writer, null, leaveOpen: true))
        {
            csv.WriteRecord(table.Columns.ToArray());
            foreach (var row in table.Rows)
            {
                csv.WriteRecord(row.Select(Text).ToArray());
            }
        }
        return buffer.ToArray();
    }

    public static byte[] Xlsx(StudyTable table)
    {
        using var buffer = new MemoryStream();
        using (var document = SpreadsheetDocument.Create(buffer, SpreadsheetDocumentType.Workbook))
        {
            var workbook = document.AddWorkbookPart();
            workbook.Workbook = new Workbook();
            var sheetPart = workbook.AddNewPart<WorksheetPart>();
            var data = new SheetData();
            data.Append(Row(table.Columns.Cast<object?>()));
            foreach (var row in table.Rows)
            {
                data.Append(Row(row));
            }
            sheetPart.Worksheet = new Worksheet(data);
            var sheets = workbook.Workbook.AppendChild(new Sheets());
            sheets.Append(new Sheet { Id = workbook.GetIdOfPart(sheetPart), SheetId = 1, Name = "Study" });
            workbook.Workbook.Save();
        }
        return buffer.ToArray();
    }

    private static Row Row(IEnumerable<object?> cells)
    {
        var row = new Row();
        foreach (var cell in cells)
        {
            row.Append(cell switch
            {
                double or int => new Cell { DataType = CellValues.Number, CellValue = new CellValue(Text(cell)) },
                null => new Cell(),
                _ => new Cell { DataType = CellValues.InlineString, InlineString = new InlineString(new Text(Text(cell))) },
            });
        }
        return row;
    }

    private static string Text(object? cell) => cell switch
    {
        null => "",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        int i => i.ToString(CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        _ => Convert.ToString(cell, CultureInfo.InvariantCulture) ?? "",
    };
}
