"""A compact sample of the seed's SQL data set (pyignite's examples): the three countries,
their largest cities plus a few smaller ones (Detroit included), and some languages.

The seed's printed answers (the 10 largest cities, per-country maxima, Detroit's row) hold
for this sample.
"""

from __future__ import annotations

from decimal import Decimal

COUNTRY_CREATE_TABLE_QUERY = '''CREATE TABLE Country (
    Code CHAR(3) PRIMARY KEY,
    Name CHAR(52),
    Continent CHAR(50),
    Region CHAR(26),
    SurfaceArea DECIMAL(10,2),
    IndepYear SMALLINT(6),
    Population INT(11),
    LifeExpectancy DECIMAL(3,1),
    GNP DECIMAL(10,2),
    GNPOld DECIMAL(10,2),
    LocalName CHAR(45),
    GovernmentForm CHAR(45),
    HeadOfState CHAR(60),
    Capital INT(11),
    Code2 CHAR(2)
)'''

CITY_CREATE_TABLE_QUERY = '''CREATE TABLE City (
    ID INT(11),
    Name CHAR(35),
    CountryCode CHAR(3),
    District CHAR(20),
    Population INT(11),
    PRIMARY KEY (ID, CountryCode)
) WITH "affinityKey=CountryCode"'''

LANGUAGE_CREATE_TABLE_QUERY = '''CREATE TABLE CountryLanguage (
    CountryCode CHAR(3),
    Language CHAR(30),
    IsOfficial BOOLEAN,
    Percentage DECIMAL(4,1),
    PRIMARY KEY (CountryCode, Language)
) WITH "affinityKey=CountryCode"'''

CITY_CREATE_INDEX = '''
CREATE INDEX idx_country_code ON city (CountryCode)'''

LANGUAGE_CREATE_INDEX = '''
CREATE INDEX idx_lang_country_code ON CountryLanguage (CountryCode)'''

COUNTRY_INSERT_QUERY = '''INSERT INTO Country(
    Code, Name, Continent, Region,
    SurfaceArea, IndepYear, Population,
    LifeExpectancy, GNP, GNPOld,
    LocalName, GovernmentForm, HeadOfState,
    Capital, Code2
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'''

CITY_INSERT_QUERY = '''INSERT INTO City(
    ID, Name, CountryCode, District, Population
) VALUES (?, ?, ?, ?, ?)'''

LANGUAGE_INSERT_QUERY = '''INSERT INTO CountryLanguage(
    CountryCode, Language, IsOfficial, Percentage
) VALUES (?, ?, ?, ?)'''

DROP_TABLE_QUERY = '''DROP TABLE {} IF EXISTS'''

COUNTRY_DATA = [
    ['USA', 'United States', 'North America', 'North America', Decimal('9363520.00'), 1776,
     278357000, Decimal('77.1'), Decimal('8510700.00'), Decimal('8110900.00'),
     'United States', 'Federal Republic', 'George W. Bush', 3813, 'US'],
    ['IND', 'India', 'Asia', 'Southern and Central Asia', Decimal('3287263.00'), 1947,
     1013662000, Decimal('62.5'), Decimal('447114.00'), Decimal('430572.00'),
     'Bharat/India', 'Federal Republic', 'Kocheril Raman Narayanan', 1109, 'IN'],
    ['CHN', 'China', 'Asia', 'Eastern Asia', Decimal('9572900.00'), -1523, 1277558000,
     Decimal('71.4'), Decimal('982268.00'), Decimal('917719.00'), 'Zhongquo',
     'People\'sRepublic', 'Jiang Zemin', 1891, 'CN'],
]

CITY_DATA = [
    [3793, 'New York', 'USA', 'New York', 8008278],
    [3794, 'Los Angeles', 'USA', 'California', 3694820],
    [3795, 'Chicago', 'USA', 'Illinois', 2896016],
    [3802, 'Detroit', 'USA', 'Michigan', 951270],
    [1024, 'Mumbai (Bombay)', 'IND', 'Maharashtra', 10500000],
    [1025, 'Delhi', 'IND', 'Delhi', 7206704],
    [1026, 'Calcutta [Kolkata]', 'IND', 'West Bengali', 4399819],
    [1027, 'Chennai (Madras)', 'IND', 'Tamil Nadu', 3841396],
    [1890, 'Shanghai', 'CHN', 'Shanghai', 9696300],
    [1891, 'Peking', 'CHN', 'Peking', 7472000],
    [1892, 'Chongqing', 'CHN', 'Chongqing', 6351600],
    [1893, 'Tianjin', 'CHN', 'Tianjin', 5286800],
    [1894, 'Wuhan', 'CHN', 'Hubei', 4344600],
    [1895, 'Harbin', 'CHN', 'Heilongjiang', 4289800],
    [1896, 'Shenyang', 'CHN', 'Liaoning', 4265200],
]

LANGUAGE_DATA = [
    ['USA', 'English', True, Decimal('86.2')],
    ['USA', 'Spanish', False, Decimal('7.5')],
    ['IND', 'Hindi', True, Decimal('39.9')],
    ['IND', 'Bengali', False, Decimal('8.2')],
    ['CHN', 'Chinese', True, Decimal('92.0')],
]

MOST_POPULATED = [
    ['Mumbai (Bombay)', 10500000], ['Shanghai', 9696300], ['New York', 8008278],
    ['Peking', 7472000], ['Delhi', 7206704], ['Chongqing', 6351600], ['Tianjin', 5286800],
    ['Calcutta [Kolkata]', 4399819], ['Wuhan', 4344600], ['Harbin', 4289800],
]

COUNTRY_OF = {'Mumbai (Bombay)': 'India', 'Delhi': 'India', 'Calcutta [Kolkata]': 'India',
              'New York': 'United States'}
