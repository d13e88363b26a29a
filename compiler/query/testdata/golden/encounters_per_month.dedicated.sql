SELECT
    YEAR(TRY_CONVERT(DATE, LEFT([e].[start], 10), 23)) AS [year],
    MONTH(TRY_CONVERT(DATE, LEFT([e].[start], 10), 23)) AS [month],
    [e].[class_code] COLLATE Latin1_General_100_BIN2 AS [class_code],
    COUNT(*) AS [encounters]
FROM [dbo].[encounters] AS [e]
WHERE [e].[start] COLLATE Latin1_General_100_BIN2 >= N'2015-01-01'
GROUP BY YEAR(TRY_CONVERT(DATE, LEFT([e].[start], 10), 23)), MONTH(TRY_CONVERT(DATE, LEFT([e].[start], 10), 23)), [e].[class_code] COLLATE Latin1_General_100_BIN2
ORDER BY [year], [month], [e].[class_code] COLLATE Latin1_General_100_BIN2;
