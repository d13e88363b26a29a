SELECT
    [p].[id] AS [patient_id],
    [p].[gender] AS [gender],
    [c].[code] AS [code],
    [c].[display] AS [display],
    [c].[onset] AS [onset],
    FLOOR(CAST(DATEDIFF(day, TRY_CONVERT(DATE, LEFT([p].[birth_date], 10), 23), TRY_CONVERT(DATE, LEFT([c].[onset], 10), 23)) AS DECIMAL(38, 18)) / NULLIF(365.25, 0)) AS [age_at_onset]
FROM [dbo].[condition_codings] AS [c]
JOIN [dbo].[patient_demographics] AS [p]
    ON [p].[id] COLLATE Latin1_General_100_BIN2 = [c].[patient_id] AND DATALENGTH([p].[id]) = DATALENGTH([c].[patient_id])
WHERE [c].[onset] IS NOT NULL
ORDER BY [p].[id] COLLATE Latin1_General_100_BIN2, [c].[onset], [c].[code] COLLATE Latin1_General_100_BIN2;
