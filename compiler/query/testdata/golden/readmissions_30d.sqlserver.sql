SELECT
    [a].[patient_id] COLLATE Latin1_General_100_BIN2 AS [patient_id],
    [a].[id] COLLATE Latin1_General_100_BIN2 AS [encounter_id],
    [a].[end] AS [discharged],
    MIN([b].[start]) AS [next_start],
    MIN(DATEDIFF(day, TRY_CONVERT(DATE, LEFT([a].[end], 10), 23), TRY_CONVERT(DATE, LEFT([b].[start], 10), 23))) AS [days_to_next]
FROM [dbo].[encounters] AS [a]
JOIN [dbo].[encounters] AS [b]
    ON [b].[patient_id] COLLATE Latin1_General_100_BIN2 = [a].[patient_id] AND DATALENGTH([b].[patient_id]) = DATALENGTH([a].[patient_id]) AND NOT ([b].[id] COLLATE Latin1_General_100_BIN2 = [a].[id] AND DATALENGTH([b].[id]) = DATALENGTH([a].[id])) AND [b].[start] COLLATE Latin1_General_100_BIN2 > [a].[end] AND DATEDIFF(day, TRY_CONVERT(DATE, LEFT([a].[end], 10), 23), TRY_CONVERT(DATE, LEFT([b].[start], 10), 23)) <= 30
WHERE [a].[class_code] IN (N'IMP', N'EMER')
GROUP BY [a].[patient_id] COLLATE Latin1_General_100_BIN2, [a].[id] COLLATE Latin1_General_100_BIN2, [a].[end]
ORDER BY [a].[patient_id] COLLATE Latin1_General_100_BIN2, [a].[end], [a].[id] COLLATE Latin1_General_100_BIN2;
