SELECT TOP (10)
    [c].[code] COLLATE Latin1_General_100_BIN2 AS [code],
    [c].[display] COLLATE Latin1_General_100_BIN2 AS [display],
    COUNT(DISTINCT [c].[patient_id] COLLATE Latin1_General_100_BIN2) AS [patients]
FROM [dbo].[condition_codings] AS [c]
WHERE [c].[is_snomed] = 1
GROUP BY [c].[code] COLLATE Latin1_General_100_BIN2, [c].[display] COLLATE Latin1_General_100_BIN2
ORDER BY [patients] DESC, [c].[code] COLLATE Latin1_General_100_BIN2;
