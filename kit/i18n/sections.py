"""An analyst's own sections: the note the report shows in place of one that failed."""

TEXT: dict[str, dict[str, str]] = {
    "section_failed.note": {
        "zh": "本章节未能生成：笔记本 {notebook}{where} 出错（{reason}）。报告的其余部分不受影响。"
              "请在 JupyterLab 中打开该笔记本，修正后重新发布；已执行的笔记本（含错误信息）在本报告的 notebooks/ 文件夹中。",
        "en": "This section could not be produced: notebook {notebook} failed{where} ({reason}). The rest of the "
              "report is complete. Open the notebook in JupyterLab, fix it and publish again; the executed "
              "notebook, with the error, is in this report's notebooks/ folder.",
    },
    "section_failed.cell": {"zh": " 的代码单元格 [{cell}]", "en": " at code cell [{cell}]"},
}
