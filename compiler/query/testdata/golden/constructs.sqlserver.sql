SELECT DISTINCT
    [p].[gender] COLLATE Latin1_General_100_BIN2 AS [gender],
    CASE WHEN [p].[birth_date] IS NULL THEN N'unknown' ELSE N'known' END AS [birth],
    COALESCE([a].[city] COLLATE Latin1_General_100_BIN2, N'none') AS [city],
    UPPER([p].[family] COLLATE Latin1_General_100_BIN2) AS [family],
    LOWER(CONCAT([p].[given] COLLATE Latin1_General_100_BIN2, N' ', [p].[family] COLLATE Latin1_General_100_BIN2)) AS [full_name],
    DATALENGTH([p].[id] COLLATE Latin1_General_100_BIN2) / 2 AS [id_length],
    SUBSTRING([p].[id] COLLATE Latin1_General_100_BIN2, 1, 8) AS [id_prefix],
    ROUND(ABS(-2.345), 2) AS [rounded],
    CAST([a].[address_index] AS NVARCHAR(4000)) AS [address_text],
    TRY_CAST(COALESCE(TRY_CAST([a].[latitude] AS DECIMAL(38, 18)), TRY_CAST(TRY_CAST([a].[latitude] AS FLOAT) AS DECIMAL(38, 18))) AS DECIMAL(10, 4)) AS [latitude],
    DATEADD(day, 30, TRY_CONVERT(DATE, LEFT([p].[birth_date], 10), 23)) AS [plus_30],
    DATEDIFF(day, TRY_CONVERT(DATE, LEFT([p].[birth_date], 10), 23), CAST(SYSDATETIMEOFFSET() AS DATE)) AS [age_days],
    (
        SELECT
            COUNT(*) AS [count]
        FROM [dbo].[encounters] AS [e]
        WHERE [e].[patient_id] COLLATE Latin1_General_100_BIN2 = [p].[id] COLLATE Latin1_General_100_BIN2 AND DATALENGTH([e].[patient_id]) = DATALENGTH([p].[id] COLLATE Latin1_General_100_BIN2)
    ) AS [encounters]
FROM [dbo].[patient_demographics] AS [p]
LEFT JOIN [dbo].[patient_addresses] AS [a]
    ON [a].[patient_id] COLLATE Latin1_General_100_BIN2 = [p].[id] AND DATALENGTH([a].[patient_id]) = DATALENGTH([p].[id])
WHERE [p].[id] IN (
        SELECT
            [c].[patient_id] AS [patient_id]
        FROM [dbo].[condition_codings] AS [c]
        WHERE [c].[code] COLLATE Latin1_General_100_BIN2 LIKE N'1%'
    ) AND EXISTS (
        SELECT
            1 AS [column_1]
        FROM [dbo].[encounters] AS [e2]
        WHERE [e2].[patient_id] COLLATE Latin1_General_100_BIN2 = [p].[id] AND DATALENGTH([e2].[patient_id]) = DATALENGTH([p].[id]) AND [e2].[class_code] IN (N'AMB', N'IMP')
    ) AND [p].[birth_date] COLLATE Latin1_General_100_BIN2 >= N'1950-01-01' AND [p].[birth_date] COLLATE Latin1_General_100_BIN2 <= N'2000-12-31'
ORDER BY [p].[gender] COLLATE Latin1_General_100_BIN2, [full_name]
OFFSET 1 ROWS FETCH NEXT 5 ROWS ONLY;
